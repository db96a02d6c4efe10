"""Hostile text end to end: wikitext, HTML, script, Markdown and control characters typed by
participants (notes, note fields, credits), librarians (source fields) and towns (site names in
an imported CSV) stay text everywhere wikitown shows or writes them.

* Drafts (wikitown.drafts.builder): notes are only hints, never in the draft; site names and source
  fields are escaped: parsed back with mwparserfromhell, no template, link, tag or category
  was injected.
* Citations, report exports (HTML, Markdown, wikitext).
* The app (AppTest): participant "my finds", the organizer's finds queue, sites table and report,
  the librarian's hints and sources: hostile text is shown by elements that render text
  (st.text, tables), or Markdown-escaped; no ``unsafe_allow_html`` path exists for it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import mwparserfromhell
import pytest
from mwparserfromhell.nodes import ExternalLink, HTMLEntity, Tag, Template, Text

from tests.harness import PROJECT_ROOT
from tests.harness.requirements import need
from wikitown.drafts import citations
from wikitown.drafts import builder as drafts
from wikitown.drafts.citations import Source
from wikitown.store.events import create_event
from wikitown.finds.capture import join_event, submit_find
from wikitown.gaps.collect import import_files
from wikitown.drafts.register import add_source
from wikitown.report import build_report, to_html, to_markdown, to_wikitext

# One payload of each kind; each test also checks them combined.
PAYLOADS = {
    "template": "}}{{Delete}}",
    "category": "[[Category:Injected]]",
    "signature": "~~~~",
    "switch": "__NOTOC__",
    "table": "\n{|\n|x\n|}",
    "ref": "<ref>spam</ref>",
    "pipe": "a|b=c",
    "extlink": "[javascript:alert(1) click]",
    "script": "<script>window.__pwned=1</script>",
    "img": "<img src=x onerror=\"window.__pwned=1\">",
    "jsurl": "javascript:alert(1)",
    "bold_md": "**x**",
    "link_md": "[a](javascript:alert(1))",
    "image_md": "![i](http://127.0.0.1:9/track.png)",
    "heading": "\n== Injected ==\n",
    "control": "a\x00b\x1bc\u202ed\x7f",
}
ALL = " ".join(PAYLOADS.values())
NAME = "Aki " + "".join(PAYLOADS[k] for k in ("bold_md", "link_md", "script", "img", "template", "category"))
# Strings that must never appear as markup in rendered Markdown or HTML.
RAW_MARKUP = ["<script", "<img", "**x**", "[a](javascript", "![i]("]


def unescaped(md: str) -> str:
    """Markdown with its backslash-escaped characters removed: what is left may render as markup."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", md)


def _note_fields_toml(path: Path) -> None:
    with open(path / "event.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[note_fields]]\nkey = "memo"\nlabel_ja = "メモ"\nlabel_en = "Memo"\ntype = "text"\n')


@pytest.fixture
def hostile_event(tmp_path, monkeypatch):
    """An event whose sites come from a CSV with hostile names, with a hostile participant,
    note, note field and source, all linked to the site."""
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    events = tmp_path / "events"
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    ev = create_event(events / "town", name="注入テスト", lat=34.86, lon=138.32, radius_km=3, municipality="焼津市",
                      municipality_code="222127", code="TEST-1")
    _note_fields_toml(ev.dir)
    ev.close()
    from wikitown.store.events import open_event

    ev = open_event(events / "town")
    csv_path = tmp_path / "sites.csv"
    rows = [("s1", "常楽寺" + PAYLOADS["template"] + PAYLOADS["category"], "34.8647761", "138.3246443",
             PAYLOADS["ref"] + PAYLOADS["signature"], "市指定" + PAYLOADS["pipe"], PAYLOADS["switch"]),
            ("s2", PAYLOADS["script"] + PAYLOADS["img"] + PAYLOADS["bold_md"] + PAYLOADS["link_md"], "34.8650",
             "138.3250", PAYLOADS["extlink"] + PAYLOADS["image_md"], "", PAYLOADS["table"].replace("\n", " "))]
    import csv as csvmod

    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        w = csvmod.writer(fh)
        w.writerow(["ID", "名称", "緯度", "経度", "所在地", "文化財分類", "種類"])
        w.writerows(rows)
    report = import_files(ev, [(csv_path, {})])
    assert not report.failures
    pid = join_event(ev, NAME, "cc-by-sa-4.0")
    with ev.store.read() as c:
        from wikitown.store.db import sites

        rows = list(c.execute(sites.select()))
    site_ids = [r.id for r in rows]
    sid = next(r.id for r in rows if r.name.startswith("常楽寺"))  # the site the note and sources are about
    submit_find(ev, pid, [], note=ALL, fields={"memo": ALL}, site_id=sid)
    add_source(ev.store, Source("book", title="焼津市史" + PAYLOADS["template"] + PAYLOADS["ref"],
                                authors="山田" + PAYLOADS["pipe"] + PAYLOADS["category"],
                                publisher=PAYLOADS["script"] + PAYLOADS["signature"], year="2001",
                                pages="1-2" + PAYLOADS["switch"]), [sid])
    add_source(ev.store, Source("web", title="説明" + PAYLOADS["extlink"] + PAYLOADS["bold_md"],
                                url="https://example.org/a]b}}{{x|y\"><script>", website=PAYLOADS["img"]),
               [sid])
    return ev, pid, sid, site_ids


# --------------------------------------------------------------------------------------------
# wikitext


def assert_no_injection(wikitext: str, allowed_templates: set[str], allowed_tags: set[str] = frozenset(),
                        allowed_links: set[str] | None = None) -> None:
    """Parse back: only the nodes wikitown writes itself, and none of the payloads as markup."""
    code = mwparserfromhell.parse(wikitext)
    names = {str(t.name).strip().lower() for t in code.filter_templates(recursive=True)}
    names = {"defaultsort:" if n.startswith("defaultsort:") else n for n in names}  # its value is escaped text
    assert names <= {n.lower() for n in allowed_templates}, names
    tags = {str(t.tag).lower() for t in code.filter_tags(recursive=True)}
    assert tags <= set(allowed_tags) | {"ref", "references", "gallery", "b", "i", "li"}, tags
    links = [str(l.title) for l in code.filter_wikilinks(recursive=True)]
    assert not any("Injected" in l or "Delete" in l for l in links), links
    if allowed_links is not None:
        assert all(l.startswith(tuple(allowed_links)) for l in links), links
    for link in code.filter_external_links(recursive=True):
        assert str(link.url).startswith(("http://", "https://")), link
    for heading in code.filter_headings(recursive=True):
        assert "Injected" not in str(heading.title)
    text = str(code)
    assert "~~~~" not in text and "__NOTOC__" not in text
    assert not re.search(r"^\{\|", text.replace("{| class=\"wikitable", ""), re.M)
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)


def test_drafts_escape_site_names_and_source_fields_and_leave_notes_out(hostile_event):
    ev, _pid, _sid, _ = hostile_event
    built = drafts.build_drafts(ev.store, "ja", check_wiki=False, municipality="焼津市", municipality_code="222127")
    assert len(built) == 2
    for d in built:
        infobox = {str(t.name).strip() for t in mwparserfromhell.parse(d.wikitext).filter_templates()
                   if str(t.name).strip().startswith("Infobox")}
        assert len(infobox) <= 1
        assert_no_injection(d.wikitext, infobox | {"Coord", "DEFAULTSORT:", "Cite book", "Cite web"},
                            allowed_links={"Category:", "File:"})
        # The participant's note is a hint for the writer, never part of the draft.
        assert "window.__pwned" not in d.wikitext.replace("&#", "")
        assert "a|b=c" not in d.wikitext
    en = drafts.build_drafts(ev.store, "en", check_wiki=False, municipality="焼津市", municipality_code="222127")
    for d in en:
        code = mwparserfromhell.parse(d.wikitext)
        assert not [t for t in code.filter_templates(recursive=True) if "delete" in str(t.name).lower()]
        assert not [l for l in code.filter_wikilinks(recursive=True) if "Injected" in str(l.title)]
    # The shown text is the typed text: the escaped name reads back as the CSV's name.
    jorakuji = next(d for d in built if "常楽寺" in d.wikitext)
    lead = next(line for line in jorakuji.wikitext.splitlines() if line.startswith("'''"))
    name = lead.split("'''")[1]
    assert html.unescape(name) == "常楽寺" + PAYLOADS["template"] + PAYLOADS["category"]


def test_hints_carry_the_note_as_plain_text(hostile_event):
    ev, _pid, sid, _ = hostile_event
    hints = drafts.hints_for_site(ev.store, sid)
    assert hints[0].text == ALL and hints[0].fields == {"memo": ALL}  # stored and handed on as typed


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_citations_of_hostile_sources_are_one_template_each(hostile_event, lang):
    ev, _pid, _sid, _ = hostile_event
    from wikitown.drafts.register import list_sources

    for src in list_sources(ev.store):
        text = citations.render(src, lang)
        code = mwparserfromhell.parse(text)
        assert len(code.nodes) == 1 and isinstance(code.nodes[0], Template), text
        for param in code.nodes[0].params:
            for n in param.value.nodes:  # text, entities, and the URL itself (a bare URL parses as a link)
                assert isinstance(n, (Text, HTMLEntity)) or (
                    isinstance(n, ExternalLink) and str(param.name).strip() == "url"
                    and re.fullmatch(r"https://[A-Za-z0-9%./:_\-~?&=#@!$()*+,;']+", str(n))), (param.name, n)
        ref = str(citations.ref(src, lang))
        parsed = mwparserfromhell.parse(ref)
        assert len(parsed.nodes) == 1 and isinstance(parsed.nodes[0], Tag)
        assert [str(t.name).strip().lower() for t in parsed.filter_templates(recursive=True)] == \
            [str(code.nodes[0].name).strip().lower()]
        # What a reader sees is what the librarian typed (control characters aside)
        title = str(code.nodes[0].get("title").value)
        assert html.unescape(title) == src.title


def test_report_exports_escape_every_payload(hostile_event):
    ev, _pid, _sid, _ = hostile_event
    report = build_report(ev)
    page = to_html(report, "en")
    for raw in ("<script", "<img", "onerror=\"window"):
        assert raw not in page.split("<body>")[1], raw
    md = to_markdown(report, "en")
    _assert_markdown_is_text(md)
    wikitext = to_wikitext(report, "ja")
    assert_no_injection(wikitext, set(), {"table", "tr", "td", "th"}, allowed_links=set())
    code = mwparserfromhell.parse(wikitext)
    assert len([t for t in code.filter_tags(recursive=True) if str(t.tag) == "table"]) == 1
    rows = [t for t in code.filter_tags(recursive=True) if str(t.tag) == "tr"]
    cells = [t for t in code.filter_tags(recursive=True) if str(t.tag) == "td"]
    assert report.sites and len(rows) == len(report.sites)  # one row per site: no row or cell made by a name
    assert len(cells) == 3 * len(report.sites)


def _assert_markdown_is_text(md: str) -> None:
    """No payload would render as Markdown or HTML: each special character is backslash-escaped
    (or an entity), so CommonMark shows it as itself."""
    for raw in RAW_MARKUP:
        assert raw not in unescaped(md), (raw, md)
    body = "\n".join(md.split("\n## ")[-2:])  # the sources and participants: the user-written part
    for m in re.finditer(r"(?<!\\)[\[\]*_`<]", body):
        context = body[max(0, m.start() - 20):m.end() + 20]
        assert False, f"unescaped Markdown character {m.group()!r} in {context!r}"


# --------------------------------------------------------------------------------------------
# the app (AppTest)

need("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.harness.apptest import open_view  # noqa: E402

MARKDOWN_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success")


def _rendered_markdown(at) -> list[str]:
    out = []
    for kind in MARKDOWN_ELEMENTS:
        out += [str(e.value) for e in getattr(at, kind)]
    for exp in at.expander:
        out.append(str(exp.label))
    for tab in at.tabs:
        out.append(str(tab.label))
    return out


def _assert_app_shows_text(at) -> None:
    assert not at.exception, at.exception
    for value in _rendered_markdown(at):
        for raw in RAW_MARKUP:
            assert raw not in unescaped(value), (raw, value)
        assert "}}{{Delete}}" not in value and "[[Category:Injected]]" not in value, value


def _texts(at) -> list[str]:
    return [str(e.value) for e in at.text]


def _app(ev, page: str, role: str, pid: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "wikitown/app/views" / page), default_timeout=60)
    at.session_state["roles"] = {str(ev.dir): role}
    at.session_state["lang"] = "en"
    at.session_state["event_slug"] = ev.dir.name
    if pid:
        at.session_state["participant_id"] = pid
    return at.run()


def test_participant_my_finds_shows_hostile_note_and_fields_as_text(hostile_event):
    ev, pid, _sid, _ = hostile_event
    at = _app(ev, "participant.py", "participant", pid)
    _assert_app_shows_text(at)
    texts = _texts(at)
    assert ALL in texts  # the note, character for character, in an st.text element
    assert f"Memo: {ALL}" in texts
    assert any(t.startswith("常楽寺" + PAYLOADS["template"]) for t in texts)  # the site's name from the CSV
    caption = next(c.value for c in at.caption if c.value.startswith("Sending as"))
    assert "\\*\\*x\\*\\*" in caption and "\\<script\\>" in caption


def test_organizer_finds_queue_sites_table_and_report_show_text(hostile_event):
    ev, _pid, _sid, _ = hostile_event
    at = _app(ev, "organizer.py", "organizer")
    # Only the open view is drawn: walk the sites, finds and report views
    frames, markdown = [], []
    for view in ("sites", "finds", "report"):
        open_view(at, view)
        _assert_app_shows_text(at)
        frames += [e.value for e in at.dataframe]
        markdown += [m.value for m in at.markdown]
    cells = {str(v) for f in frames for col in f.columns for v in f[col].tolist()}
    assert ALL in cells  # the finds table: a data grid, which draws text
    assert any(PAYLOADS["script"] in c for c in cells)  # the sites table: the CSV's names as text
    # The report tab renders its Markdown export: every payload there is escaped
    report_md = [m for m in markdown if "Participants" in m or "参加者" in m]
    assert report_md, [m.value[:40] for m in at.markdown]
    _assert_markdown_is_text(report_md[0])


def test_librarian_hints_and_sources_show_text(hostile_event):
    ev, _pid, sid, _ = hostile_event
    at = _app(ev, "librarian.py", "librarian")
    _assert_app_shows_text(at)
    frames = [e.value for e in at.dataframe]
    cells = {str(v) for f in frames for col in f.columns for v in f[col].tolist()}
    assert any("焼津市史" + PAYLOADS["template"] in c for c in cells), cells
    # open a draft for the hostile site: the hints column shows the note with st.text
    at.selectbox(key="draft_site").set_value(sid).run()
    at.checkbox(key="draft_check_title").uncheck()
    at.button(key="draft_create").click().run()
    _assert_app_shows_text(at)
    assert any(t.endswith(": " + ALL) and t.startswith("Aki **x**[a](javascript") for t in _texts(at)), _texts(at)
    assert "memo: " + ALL in _texts(at)
    draft = at.text_area[0].value
    assert "window.__pwned" not in draft and "a|b=c" not in draft  # the note is not in the draft
    assert_no_injection(draft, {str(t.name).strip() for t in mwparserfromhell.parse(draft).filter_templates()
                                if str(t.name).strip().startswith("Infobox")}
                        | {"Coord", "DEFAULTSORT:", "Cite book", "Cite web"}, allowed_links={"Category:", "File:"})


def test_no_unsafe_html_path_in_the_app():
    """Every raw-HTML path in the app is fed only HTML built or sanitised elsewhere: today the
    one is the draft preview, which shows the wiki's own parse output inside an iframe."""
    uses = []
    for folder in ("wikitown/app",):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "unsafe_allow_html" in line or "components.html(" in line or "st.html(" in line:
                    uses.append((path.relative_to(PROJECT_ROOT).as_posix(), line.strip()))
    assert uses == [("wikitown/app/drafts.py", "components.html(result.html, height=600, scrolling=True)")], uses
    source = (PROJECT_ROOT / "wikitown" / "drafts" / "builder.py").read_text(encoding="utf-8")
    assert "parsed = api.parse(wikitext" in source  # MediaWiki's parser output, sanitised by the wiki


def test_librarian_adding_a_source_titled_with_markdown_and_html_confirms_it_as_text(hostile_event):
    """The "added" message rendered the typed title as Markdown (bold, links, images)."""
    ev, _pid, _sid, _ = hostile_event
    at = _app(ev, "librarian.py", "librarian")
    at.radio(key="add_kind").set_value("web").run()
    title = "**x** [a](javascript:alert(1)) ![i](http://127.0.0.1:9/track.png) <img src=x onerror=alert(1)>"
    next(i for i in at.text_input if i.label == "URL").set_value("https://example.org/x")
    next(i for i in at.text_input if i.label == "Title").set_value(title)
    next(b for b in at.button if b.label == "Add").click().run()
    _assert_app_shows_text(at)
    added = [s.value for s in at.success if "x" in s.value]
    assert added and "\\*\\*x\\*\\* \\[a\\]\\(javascript" in added[0], [s.value for s in at.success]


# --------------------------------------------------------------------------------------------
# Commons file pages (wikitown.publish.filepage)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from wikitown.publish import filepage  # noqa: E402

hostile_text = st.one_of(st.sampled_from(list(PAYLOADS.values()) + [ALL, NAME]),
                         st.lists(st.sampled_from(list(PAYLOADS.values()) + list("{}[]|=<>~_'*#:;! \n")),
                                  max_size=12).map("".join),
                         st.text(max_size=40))


def _filepage_checks(info: filepage.FilePageInfo) -> None:
    try:
        text = filepage.text(info)
    except filepage.FilePageError as exc:  # refused whole: never published with markup in it
        assert exc.key.startswith("publish.error."), exc.key
        return
    code = mwparserfromhell.parse(text)
    names = {str(t.name).strip().lower() for t in code.filter_templates(recursive=True)}
    assert names <= {n.lower() for n in filepage.ALLOWED_TEMPLATES}, names
    links = [str(l.title) for l in code.filter_wikilinks(recursive=True)]
    assert all(l.startswith(("Category:", "User:")) for l in links), links
    assert not [t for t in code.filter_tags(recursive=True) if str(t.tag).lower() not in ("li", "b", "i")]
    assert "~~~~" not in text and "__NOTOC__" not in text and "<script" not in text.lower()
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    # The categories are the ones asked for (cleaned to titles), nothing from the text fields
    assert sorted(l for l in links if l.startswith("Category:")) == sorted(
        f"Category:{filepage.category_name(c)}" for c in info.categories)


def test_commons_file_page_of_every_payload_together():
    info = filepage.FilePageInfo(site_name="常楽寺" + ALL, site_name_en="Jorakuji " + ALL, municipality="焼津市" + ALL,
                                 event_name="Event " + ALL, note=ALL, credit=NAME, wiki_user="Aki",
                                 taken="2026:11:28 10:00:00", lat=34.86, lon=138.32,
                                 categories=["Yaizu, Shizuoka", "Jorakuji"])
    _filepage_checks(info)
    text = filepage.text(info)
    assert "[[User:Aki|" in text  # the one link the credit may make
    assert "window.__pwned=1" in html.unescape(text)  # the note is there, as text


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(site=hostile_text, note=hostile_text, credit=hostile_text, user=hostile_text, event=hostile_text,
       category=hostile_text)
def test_commons_file_page_of_hostile_fields(site, note, credit, user, event, category):
    _filepage_checks(filepage.FilePageInfo(site_name=site or "x", note=note, credit=credit, wiki_user=user,
                                           event_name=event, municipality=event, site_name_en=site,
                                           categories=[category, "Yaizu, Shizuoka"]))


def test_wiki_user_named_notoc_is_not_linked_on_the_file_page():
    """``wiki_user="__NOTOC__"`` passed as a user name: [[User:__NOTOC__|...]] put a behaviour
    switch on the Commons page (MediaWiki reads them inside links too)."""
    assert not filepage.valid_username("__NOTOC__") and not filepage.valid_username("A__B")
    assert filepage.valid_username("Aki_Tanaka") and filepage.valid_username("Aki Tanaka")
    text = filepage.text(filepage.FilePageInfo(site_name="常楽寺", credit="Aki", wiki_user="__NOTOC__"))
    assert "__NOTOC__" not in text and "[[User:" not in text


def test_publish_plan_labels_escape_a_site_named_with_markdown(tmp_path, monkeypatch, mediawiki, pywikibot_dir):
    """The Publish tab's expander labels (Markdown) showed a site named ``**x** [a](javascript:...)``
    as bold text and a link."""
    from tests.publish_data import EventBuilder
    from wikitown.finds import access

    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(tmp_path / "events"))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    b = EventBuilder(tmp_path / "events")
    access.set_passphrase(b.event.dir, "organizer", "organizer-passphrase-123")
    hostile = f"**x** [a](javascript:alert(1)) <img src=x onerror=alert(1)> {b.tag}"
    site = b.site(hostile)
    b.photo(site, b.participant("写真家"))
    b.draft(site, f"常楽寺 {b.tag}", "下書きの本文")
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("wikitown/app/views/organizer.py").run()
    at.text_input[0].input("organizer-passphrase-123")
    at.button[0].click()
    at.run()
    open_view(at, "publish")
    next(w for w in at.text_input if w.label == "Where photos go").input(mediawiki.api_url)
    next(w for w in at.text_input if w.label == "Where drafts go").input(mediawiki.api_url)
    next(w for w in at.button if w.label == "Build the plan").click()
    at.run()
    _assert_app_shows_text(at)
    labels = [e.label for e in at.expander if b.tag in e.label]
    assert len(labels) == 2, [e.label for e in at.expander]
    for label in labels:
        assert "\\*\\*x\\*\\* \\[a\\]\\(javascript" in label and "\\<img" in label, label
