"""Citations: built as one template whatever the values hold, read back from real articles."""
from __future__ import annotations

import re

import mwparserfromhell
import pytest
from hypothesis import given, settings, strategies as st
from mwparserfromhell.nodes import Template

from tests.harness.requirements import shared_data
from wikitown.drafts import register
from wikitown.drafts.citations import Source, citation, extract_export_texts, read_citations, render
from wikitown.core.normalize import nfkc
from wikitown.store.sites import upsert_sites
from wikitown.store.db import Store
from wikitown.core.wikitext import unescape

HOSTILE = ["|", "{{", "}}", "[[", "]]", "{{{1}}}", "<ref>", "</ref>", "<script>", "~~~~", "=", "''", "&amp;",
           "&#124;", "__NOTOC__", "[http://x y]", "<!--", "-->", "\n", "*", "#", ":", "!!", "|}", "{|", "&"]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(alphabet="焼津市寺abc 　１２|{}[]<>=&'", max_size=6)),
                        min_size=1, max_size=8).map("".join).filter(lambda s: nfkc(s) != "")


def _only_template(text: str) -> Template:
    code = mwparserfromhell.parse(text)
    assert len(code.nodes) == 1, f"not one node: {code.nodes!r}"
    node = code.nodes[0]
    assert isinstance(node, Template)
    return node


@settings(max_examples=150, deadline=None)
@given(title=hostile_text, author=hostile_text, publisher=hostile_text, page=hostile_text,
       lang=st.sampled_from(["ja", "en"]))
def test_book_citation_round_trips_hostile_values(title, author, publisher, page, lang):
    src = Source("book", title, authors=author, publisher=publisher, year="2001", isbn="978-4-04-893065-9")
    node = _only_template(render(src, lang, page=page))
    assert str(node.name) == ("Cite book" if lang == "ja" else "cite book")
    got = {str(p.name): unescape(str(p.value)) for p in node.params}
    assert got["title"] == nfkc(title)
    assert got["author"] == nfkc(author)
    assert got["publisher"] == nfkc(publisher)
    assert got.get("page", got.get("pages")) == nfkc(page)
    assert got["isbn"] == "978-4-04-893065-9"
    if lang == "ja":
        assert got["1"] == "和書" and not node.params[0].showkey


@settings(max_examples=100, deadline=None)
@given(title=hostile_text, site=hostile_text, path=hostile_text, lang=st.sampled_from(["ja", "en"]))
def test_web_citation_round_trips_hostile_values(title, site, path, lang):
    url = "https://example.org/" + path
    node = _only_template(render(Source("web", title, url=url, website=site, access_date="2026-11-28"), lang))
    got = {str(p.name): str(p.value) for p in node.params}
    assert unescape(got["title"]) == nfkc(title)
    assert unescape(got["publisher" if lang == "ja" else "website"]) == nfkc(site)
    assert got["accessdate" if lang == "ja" else "access-date"] == "2026-11-28"
    assert not re.search(r"[\s|{}\[\]<>]", got["url"]) and got["url"].startswith("https://example.org/")


def test_citation_formats_follow_the_wikis():
    book = Source("book", "焼津市史", authors="焼津市史編さん委員会", publisher="焼津市", year="2007",
                  isbn="9784048930659", pages="")
    assert render(book, "ja", page="12") == ("{{Cite book|和書|author=焼津市史編さん委員会|title=焼津市史|publisher=焼津市"
                                             "|date=2007|isbn=978-4-04-893065-9|page=12}}")
    assert render(book, "en", page="12-15") == ("{{cite book|author=焼津市史編さん委員会|title=焼津市史|publisher=焼津市"
                                                "|year=2007|isbn=978-4-04-893065-9|pages=12-15}}")
    web = Source("web", "文化財マップ", url="https://www.city.yaizu.lg.jp/x", website="焼津市", access_date="2026-11-28")
    assert render(web, "ja") == ("{{Cite web|和書|url=https://www.city.yaizu.lg.jp/x|title=文化財マップ|publisher=焼津市"
                                 "|accessdate=2026-11-28}}")
    assert render(web, "en") == ("{{cite web|url=https://www.city.yaizu.lg.jp/x|title=文化財マップ|website=焼津市"
                                 "|access-date=2026-11-28}}")


def test_invalid_isbn_refuses_the_citation():
    from wikitown.drafts.isbn import InvalidISBN

    with pytest.raises(InvalidISBN, match="978-4-04-893065-0"):
        citation(Source("book", "x", isbn="978-4-04-893065-0"))


def _store(tmp_path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upsert_sites(store, [{"id": "s1", "name": "気比神宮"}])
    return store


def test_wikitext_samples_parse_and_their_book_citations_are_read_back(tmp_path):
    folder = shared_data("wikitext")
    store = _store(tmp_path)
    seen_books = 0
    for path in sorted(folder.glob("*.wiki")):
        text = path.read_text(encoding="utf-8")
        assert str(mwparserfromhell.parse(text)) == text  # lossless parse
        wajo = [t for t in mwparserfromhell.parse(text).filter_templates()
                if str(t.name).strip().lower() == "cite book" and t.has("1") and str(t.get("1").value).strip() == "和書"]
        assert wajo, path.name
        books = [s for s in read_citations(text) if s.kind == "book"]
        titled = {nfkc(s.title) for s in books}
        # every {{Cite book|和書}} with a plain title is among what was read
        for tpl in wajo:
            raw = str(tpl.get("title").value).strip() if tpl.has("title") else ""
            if raw and "{{" not in raw and "[" not in raw:
                assert nfkc(unescape(raw)) in titled, raw
        seen_books += len(books)
        ids, problems = register.import_wikitext(store, text, added_by="test", site_ids=["s1"])
        assert ids and problems == []
    assert seen_books >= 20
    stored = register.list_sources(store)
    kehi = [s for s in stored if s.title == "昭和天皇御召列車全記録"]
    assert kehi and kehi[0].authors == "原武史" and kehi[0].publisher == "新潮社"
    assert kehi[0].isbn == "978-4-10-320523-4" and kehi[0].year == "2016-09-30"
    jalink = [s for s in stored if s.title == "ウサギの日本文化史"]
    assert jalink and jalink[0].authors == "赤田光男"  # {{jalink|赤田光男|Q…}} reads as its label
    # importing again adds nothing: the same ISBN or URL is one source
    before = len(stored)
    for path in sorted(folder.glob("*.wiki")):
        register.import_wikitext(store, path.read_text(encoding="utf-8"))
    assert len(register.list_sources(store)) == before
    assert register.sources_for_site(store, "s1")


def test_xml_exports_parse_and_their_ref_links_are_read(tmp_path):
    folder = shared_data("wikitext")
    exports = sorted(folder.glob("*.xml"))
    assert exports
    found = []
    for path in exports:
        pages = extract_export_texts(path.read_text(encoding="utf-8"))
        assert len(pages) == 1 and pages[0][1]
        title, text = pages[0]
        assert str(mwparserfromhell.parse(text)) == text
        found += read_citations(text)
    ebisu = [s for s in found if s.url == "http://www.genki.or.jp/wp/archives/1899"]
    assert ebisu and ebisu[0].kind == "web" and ebisu[0].title == "Amagasaki Ebisu Shrine"
    assert ebisu[0].website == "Genki Machi"


def test_register_rejects_bad_input_per_item(tmp_path):
    from wikitown.core.errors import InputError

    store = _store(tmp_path)
    with pytest.raises(InputError) as err:
        register.add_source(store, Source("book", "x", isbn="4048930650"))
    assert "4048930650" in err.value.message("ja")
    with pytest.raises(InputError):
        register.add_source(store, Source("web", "x", url="javascript:alert(1)"))
    with pytest.raises(InputError):
        register.add_source(store, Source("book", "  "))
    assert register.list_sources(store) == []
    first = register.add_source(store, Source("book", "本", isbn="4-04-893065-6"), ["s1"], pages="3")
    again = register.add_source(store, Source("book", "本（別表記）", isbn="978-4-04-893065-9"))
    assert first == again  # ISBN-10 and -13 of one book
    assert register.sources_for_site(store, "s1")[0][1] == "3"
