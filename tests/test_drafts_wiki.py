"""Drafts against the real loopback MediaWiki: titles checked in batches, previews render cleanly."""
from __future__ import annotations

import html
import uuid

import pytest

from wikitown.drafts import builder as drafts
from wikitown.drafts.citations import Source
from wikitown.drafts.builder import Site, build_draft, candidate_titles, check_titles
from wikitown.net.http import HttpClient
from wikitown.net.mwapi import MediaWikiAPI

pytestmark = pytest.mark.wiki

# Minimal stand-ins for the infoboxes drafts use (the harness seeds Cite book/web, Coord, Reflist).
INFOBOXES = {
    "Template:日本の寺院": '<table class="infobox temple"><tr><th>{{{名称|}}}</th></tr>'
                          "<tr><td>{{{所在地|}}}</td></tr></table>",
    "Template:神社": '<table class="infobox shrine"><tr><th>{{{名称|}}}</th></tr></table>',
    "Template:Infobox 建築物": '<table class="infobox building"><tr><th>{{{建築物名|}}}</th></tr></table>',
    "Template:Infobox religious building": '<table class="infobox"><tr><th>{{{name|}}}</th></tr></table>',
    "Template:Infobox shrine": '<table class="infobox"><tr><th>{{{name|}}}</th></tr></table>',
    "Template:Infobox historic site": '<table class="infobox"><tr><th>{{{name|}}}</th></tr></table>',
}


@pytest.fixture
def api(mediawiki):
    for title, text in INFOBOXES.items():
        mediawiki.create_page(title, text, user="admin", summary="seed infobox")
    return MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))


def test_titles_are_checked_against_the_wiki(mediawiki, api):
    tag = uuid.uuid4().hex[:6]
    taken = Site(id="a", name=f"常楽寺{tag}", kind="temple", municipality="焼津市")
    both = Site(id="b", name=f"法華寺{tag}", kind="temple", municipality="焼津市")
    free = Site(id="c", name=f"焼津神社{tag}", kind="shrine", municipality="焼津市")
    redirected = Site(id="d", name=f"光心寺{tag}", kind="temple", municipality="焼津市")
    mediawiki.create_page(f"常楽寺{tag}", "'''常楽寺'''は、別の町の寺院。")
    mediawiki.create_page(f"法華寺{tag}", "{{Aimai}}")
    mediawiki.create_page(f"法華寺{tag} (焼津市)", "既にある記事。")
    mediawiki.create_page(f"光心院{tag}", "記事")
    mediawiki.create_page(f"光心寺{tag}", f"#REDIRECT [[光心院{tag}]]")
    sites = [taken, both, free, redirected]
    # many more sites than one batch: 60 sites -> 120 titles -> 3 requests
    extra = [Site(id=f"x{i}", name=f"寺{tag}{i}", kind="temple", municipality="焼津市") for i in range(56)]
    result = check_titles(api, {s.id: candidate_titles(s, "ja")[:2] for s in sites + extra})
    assert (result["a"].status, result["a"].title) == ("disambiguated", f"常楽寺{tag} (焼津市)")
    assert result["b"].status == "taken"
    assert (result["c"].status, result["c"].title) == ("free", f"焼津神社{tag}")
    assert result["d"].status == "disambiguated"
    assert all(result[s.id].status == "free" for s in extra)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("kind, name, category", [("temple", "常楽寺", ""), ("shrine", "焼津神社", ""),
                                                  ("other", "仁王門", "建造物")])
def test_drafts_render_without_errors(api, lang, kind, name, category):
    site = Site(id="s1", name=name, name_kana="テスト", kind=kind, category=category, designation="市指定",
                address="焼津市北浜通95-2", municipality="焼津市", lat=34.8647761, lon=138.3246443)
    book = Source("book", "焼津市史 | 通史編", authors="委員会", publisher="焼津市", year="2007",
                  isbn="978-4-04-893065-9", id=1)
    web = Source("web", "文化財マップ", url="https://example.org/map?a=1&b=2", website="焼津市",
                 access_date="2026-11-28", id=2)
    built = build_draft(site, lang, sources=[(book, "12"), (web, "")], municipality_code="222127")
    view = drafts.preview(built.wikitext, built.title, api)
    assert view.online and view.html
    assert view.missing_templates == []
    assert "mw-ext-cite-error" not in view.html and 'class="error' not in view.html
    assert 'class="citation book"' in view.html and 'class="citation web"' in view.html
    assert "焼津市史 | 通史編" in html.unescape(view.html)  # the escaped pipe renders as a pipe
    assert "34.864776; 138.324644" in view.html
    assert "infobox" in view.html
    assert view.missing_categories  # proposed categories that this test wiki does not have


def test_missing_template_and_offline_preview(mediawiki, api):
    name = "NoSuchTemplate" + uuid.uuid4().hex[:6]
    view = drafts.preview("{{" + name + "}}", "Draft:x", api)
    assert view.online and view.missing_templates == [name]
    with mediawiki.down():
        offline = drafts.preview("text", "x", api)
    assert not offline.online and offline.reason and offline.html == ""


def test_sort_key_as_the_wiki_stores_it(mediawiki, api):
    """The wiki's own record of the sort key (page property ``defaultsort``) is jawiki's folded form."""
    tag = uuid.uuid4().hex[:6]
    cases = {"シャンハイキドウコウツウ3": "しやんはいきとうこうつう03", "ジョウラクジ": "しようらくし",
             "コーヒーテン": "こおひいてん"}
    for i, (kana, key) in enumerate(cases.items()):
        site = Site(id=f"k{i}", name=f"上海軌道交通{i}号線{tag}", name_kana=kana, municipality="焼津市")
        built = build_draft(site, "ja")
        title = f"Draft:Sortkey {tag} {i}"
        mediawiki.create_page(title, built.wikitext)
        assert mediawiki.page_info(title)["pageprops"]["defaultsort"] == key
