"""Drafts built from a site's facts: kind, title, reading, infobox, sections, photos, hints, escaping."""
from __future__ import annotations

import mwparserfromhell
import pytest

from wikitown.drafts import builder as drafts

from wikitown.drafts import edits, register

from wikitown.drafts import review
from wikitown.drafts.citations import Source
from wikitown.drafts.builder import Site, build_draft, candidate_titles, check_titles, detect_kind
from wikitown.store.events import create_event
from wikitown.net.mwapi import MediaWikiAPI
from wikitown.net.http import HttpClient
from wikitown.store.sites import upsert_sites
from wikitown.store.db import finds, media, participants


@pytest.mark.parametrize("name, category, kind, expected", [
    ("常楽寺", "", "", "temple"), ("光心院", "", "", "temple"), ("草庵", "", "", "temple"),
    ("焼津神社", "", "", "shrine"), ("東照宮", "", "", "shrine"), ("稲荷社", "", "", "shrine"),
    ("木造聖観音立像", "彫刻", "", "other"), ("法華寺", "寺院", "", "temple"), ("仁王門", "神社", "", "shrine"),
    ("常楽寺", "", "other", "other"), ("護信寺(光心寺跡)", "", "", "temple"),
])
def test_kind_detection(name, category, kind, expected):
    assert detect_kind(Site(id="x", name=name, category=category, kind=kind)) == expected


def test_titles_follow_the_wikis():
    site = Site(id="x", name="常楽寺", municipality="焼津市")
    assert candidate_titles(site, "ja")[:2] == ("常楽寺", "常楽寺 (焼津市)")
    en = Site(id="x", name="常楽寺", name_en="Jōraku-ji")
    assert candidate_titles(en, "en", "焼津市")[:2] == ("Jōraku-ji", "Jōraku-ji (Yaizu)")
    guessed = candidate_titles(Site(id="x", name="焼津神社"), "en", "焼津市")
    assert guessed == ("Yaizu Shrine", "Yaizu Shrine (Yaizu)", True)
    assert candidate_titles(Site(id="x", name="寺[a]|b{c}"), "ja")[0] == "寺abc"


def test_offline_title_check_says_so(standin):
    server = standin()
    url = server.url + "/api.php"
    server.close()
    api = MediaWikiAPI(url, HttpClient(retries=0))
    result = check_titles(api, {"s1": ("常楽寺", "常楽寺 (焼津市)")})
    assert result["s1"].status == "unchecked" and result["s1"].title == "常楽寺"
    assert result["s1"].reason
    assert check_titles(None, {"s1": ("a", "b")})["s1"].status == "unchecked"


def test_ja_draft_has_every_part():
    # the kind as a source says it (a name alone no longer picks the temple infobox: see test_sitemodel.py)
    site = Site(id="s1", name="常楽寺", name_kana="ジョウラクジ", designation="市指定", category="建造物", kind="temple",
                address="焼津市北浜通95-2", municipality="焼津市", lat=34.8647761, lon=138.3246443)
    src = Source("book", "焼津市史", authors="委員会", publisher="焼津市", year="2007", id=7)
    built = build_draft(site, "ja", sources=[(src, "12")], municipality_code="222127",
                        photos=[drafts.Photo("Jorakuji Yaizu 2026.jpg"), drafts.Photo("Jorakuji gate.jpg")],
                        unnamed_photos=3)
    code = mwparserfromhell.parse(built.wikitext)
    names = [str(t.name).strip() for t in code.filter_templates()]
    assert names[0] == "日本の寺院" and "Coord" in names and "Cite book" in names
    infobox = code.filter_templates()[0]
    assert str(infobox.get("画像").value).strip() == "Jorakuji Yaizu 2026.jpg"
    assert "'''常楽寺'''（じょうらくじ）は、静岡県焼津市北浜通95-2にある寺院。焼津市指定文化財（建造物）である。" in built.wikitext
    assert [str(h.title).strip() for h in code.filter_headings()] == ["歴史", "文化財", "アクセス", "ギャラリー", "脚注",
                                                                      "参考文献"]
    assert "<references />" in built.wikitext and "File:Jorakuji gate.jpg|常楽寺" in built.wikitext
    # jawiki's sort key: 濁音 → 清音, small kana → full size (じょうらくじ → しようらくし)
    assert "{{DEFAULTSORT:しようらくし}}" in built.wikitext and "[[Category:静岡県の寺院]]" in built.wikitext
    assert "wikitown:photos" in built.wikitext and "3" in built.wikitext
    assert "reading_guessed" not in built.flags
    coord = next(t for t in code.filter_templates() if str(t.name) == "Coord")
    assert str(coord) == "{{Coord|34.864776|138.324644|region:JP|display=title}}"


@pytest.mark.parametrize("kind, name, ja_box, en_box", [
    ("shrine", "焼津神社", "神社", "Infobox shrine"),
    ("other", "仁王門", "Infobox 建築物", "Infobox historic site"),
])
def test_infobox_by_kind(kind, name, ja_box, en_box):
    site = Site(id="x", name=name, category="建造物", kind=kind, lat=34.86, lon=138.32)
    ja = mwparserfromhell.parse(build_draft(site, "ja").wikitext).filter_templates()[0]
    en = mwparserfromhell.parse(build_draft(site, "en").wikitext).filter_templates()[0]
    assert str(ja.name).strip() == ja_box and str(en.name).strip() == en_box


def test_reading_guessed_is_marked_for_review():
    built = build_draft(Site(id="x", name="常楽寺"), "ja")
    assert "reading_guessed" in built.flags and "no_coords" in built.flags and "no_sources" in built.flags
    assert "じょうらくじ<!-- wikitown:check-reading -->" in built.wikitext
    assert "{{Coord" not in built.wikitext


HOSTILE = "寺}}{{Delete}}[[Category:Spam]]<script>x</script>|'''<ref>"


def test_hostile_site_values_cannot_make_markup():
    site = Site(id="x", name=HOSTILE, name_kana="テラ", designation="{{subst:x}}", address="[[焼津]]|~~~~",
                category="<ref>x</ref>", lat=34.86, lon=138.32)
    for lang in ("ja", "en"):
        text = build_draft(site, lang).wikitext
        code = mwparserfromhell.parse(text)
        names = {str(t.name).strip() for t in code.filter_templates()}
        assert not names & {"Delete", "subst:x"}
        assert not [l for l in code.filter_wikilinks() if "Spam" in str(l.title) or "焼津" == str(l.title)]
        assert not [t for t in code.filter_tags() if str(t.tag) in ("script",)]
        assert len([t for t in code.filter_tags() if str(t.tag) == "ref"]) == 0
        assert "~~~~" not in text


def _event(tmp_path):
    event = create_event(tmp_path / "ev", name="テスト", lat=34.86, lon=138.32, radius_km=5, municipality="焼津市",
                         municipality_code="222127", code="TEST-1")
    upsert_sites(event.store, [{"id": "s1", "name": "常楽寺", "name_kana": "じょうらくじ", "lat": 34.8647761,
                                "lon": 138.3246443, "address": "焼津市北浜通95-2", "description": "公開データの説明",
                                "kind": "temple", "kind_origin": "source"}])
    return event


def test_notes_are_hints_never_pasted(tmp_path):
    event = _event(tmp_path)
    note = "本堂の屋根が新しい {{Delete}} <b>見て</b>"
    with event.store.write() as c:
        c.execute(participants.insert().values(id="p1", display_name="Aki", licence="cc-by-sa-4.0", consent_at="x"))
        c.execute(finds.insert().values(id="f1", participant_id="p1", site_id="s1", note=note,
                                        fields={"signboard": True}, created_at="2026-11-28T10:00:00+00:00"))
        c.execute(media.insert().values(sha1="a" * 40, find_id="f1"))
        c.execute(media.insert().values(sha1="b" * 40, find_id="f1"))
    event.store.set_kv("commons_names", {"a" * 40: "File:Jorakuji by Aki.jpg"})
    draft, check = drafts.open_draft(event, "s1", check_wiki=False)
    text = review.current_wikitext(event.store, draft.id)
    assert "屋根" not in text and "Delete" not in text
    assert "Jorakuji by Aki.jpg" in text  # a photo whose Commons name is known
    assert "wikitown:photos" in text  # and one whose name is not yet
    assert check.status == "unchecked"
    hints = drafts.hints_for_site(event.store, "s1")
    assert hints[0].text == note and hints[0].author == "Aki" and hints[0].photos == 2
    assert hints[-1].source == "opendata" and hints[-1].text == "公開データの説明"
    # opening again returns the stored draft, not a new one
    again, none = drafts.open_draft(event, "s1", check_wiki=False)
    assert again.id == draft.id and none is None


def test_save_checks_and_sources_become_references(tmp_path):
    event = _event(tmp_path)
    sid = register.add_source(event.store, Source("book", "焼津市史", publisher="焼津市", year="2007"), ["s1"],
                              pages="45")
    draft, _ = drafts.open_draft(event, "s1", check_wiki=False)
    text = review.current_wikitext(event.store, draft.id)
    # A book is listed with the pages about the site; the lead's facts are not the book's (issue 12.7):
    # without the dataset the site came from, the lead has no footnote and the checks say so.
    assert "* {{Cite book|和書|title=焼津市史|publisher=焼津市|date=2007|page=45}}" in text
    assert f'<ref name="src{sid}">' not in text
    assert "unreferenced_paragraph" in [f.code for f in drafts.check_draft(event.store, draft.id)]
    rev, findings = drafts.save(event, draft.id, text + "\n<script>x</script>\n", author="Aki", role="participant")
    assert rev != draft.current_revision_id
    assert "raw_html" in [f.code for f in findings]


def test_build_drafts_for_many_sites(tmp_path):
    event = _event(tmp_path)
    upsert_sites(event.store, [{"id": f"t{i}", "name": f"寺{i}院", "lat": 34.86, "lon": 138.32, "kind": "temple",
                                "kind_origin": "source"} for i in range(20)])
    built = drafts.build_drafts(event.store, "ja", check_wiki=False, municipality="焼津市")
    assert len(built) == 21 and all(b.wikitext.startswith("{{日本の寺院") for b in built)


def test_unknown_site(tmp_path):
    from wikitown.core.errors import InputError

    with pytest.raises(InputError):
        drafts.open_draft(_event(tmp_path), "nope", check_wiki=False)


def test_event_open_data_is_registered_and_cited(tmp_path, monkeypatch):
    import shutil

    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event
    from wikitown.core.paths import PROJECT_ROOT

    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    shutil.copytree(PROJECT_ROOT / "events" / "demo-yaizu", tmp_path / "demo",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    event = open_event(tmp_path / "demo")
    load_configured_opendata(event)
    frame = drafts.load_sites(event.store)
    gate = next(s for s in frame if s.name == "仁王門")
    draft, _ = drafts.open_draft(event, gate.id, check_wiki=False)
    text = review.current_wikitext(event.store, draft.id)
    assert "{{Cite web|和書|url=https://github.com/yaizu-city/opendata|title=焼津市 文化財マップ|publisher=焼津市" in text
    assert "焼津市指定文化財（建造物）である。<ref" in text
    # the dataset's licence, from the event's attribution, goes with its citation
    assert "|type=オープンデータ、CC BY 4.0}}</ref>" in text
    assert [f.code for f in drafts.check_draft(event.store, draft.id)] == ["reading_unconfirmed", "placeholder"]
    titles = sorted(s.title for s in register.list_sources(event.store))
    assert titles == ["焼津市 文化財マップ", "焼津市 歴史スポット(2025年 街歩きイベント)"]
    assert register.register_opendata(event) and len(register.list_sources(event.store)) == 2
    event.close()


def test_disambiguated_title_stays_out_of_the_lead():
    site = Site(id="x", name="常楽寺", name_en="Jōraku-ji", municipality="焼津市", lat=34.86, lon=138.32)
    check = drafts.TitleCheck("Jōraku-ji (Yaizu)", "disambiguated", "Jōraku-ji")
    built = build_draft(site, "en", title=check)
    assert built.title == "Jōraku-ji (Yaizu)" and built.title_status == "disambiguated"
    assert built.wikitext.count("'''Jōraku-ji''' (常楽寺") == 1 and "(Yaizu)'''" not in built.wikitext


def test_merge_carries_insertions_over_and_refuses_collisions():
    base = "a\nb\nc\n\n== 脚注 ==\n<references />"
    ours = "a\nb\nc\n\n== ギャラリー ==\n<gallery>\nFile:x.jpg|x\n</gallery>\n\n== 脚注 ==\n<references />\n"
    theirs = "a\nB (improved)\nc\n\n== 脚注 ==\n<references />\n[[Category:Y]]"
    merged = edits.merge3(base, ours, theirs)
    assert merged == ("a\nB (improved)\nc\n\n== ギャラリー ==\n<gallery>\nFile:x.jpg|x\n</gallery>\n\n"
                      "== 脚注 ==\n<references />\n[[Category:Y]]\n")
    # the draft changed line b, and so did the article: a person decides
    assert edits.merge3(base, base.replace("b", "b<ref>x</ref>"), theirs) is None


def test_edit_joins_the_articles_own_gallery_and_properties_section():
    article = ("'''常楽寺'''は寺院。<ref>a</ref>\n\n== 文化財 ==\n* 本堂\n\n== ギャラリー ==\n<gallery>\n"
               "File:Old.jpg|本堂\n</gallery>\n\n== 脚注 ==\n{{Reflist}}\n\n{{DEFAULTSORT:しようらくし}}\n"
               "[[Category:静岡県の寺院]]\n")
    data = Source("dataset", "焼津市 文化財マップ", publisher="焼津市", url="https://example.org/m",
                  data={"licence": "CC BY 4.0"}, id=3)
    text = edits.propose_edit(article, site_name="常楽寺 {{Delete}}", designation="市指定文化財",
                              category="建造物", photos=["Old.jpg", "New photo.jpg", "Bad|name.jpg"], dataset=data)
    assert text.count("<gallery>") == 1 and text.count("File:Old.jpg") == 1 and "Bad|name" not in text
    assert "File:Old.jpg|本堂\nFile:New photo.jpg|常楽寺 " in text
    assert "== 文化財 ==\n* 本堂\n* 市指定文化財 建造物<ref name=\"src3\">{{Cite web|和書|" in text
    assert "|type=オープンデータ、CC BY 4.0}}</ref>\n\n== ギャラリー ==" in text
    assert "<references />" not in text  # {{Reflist}} is the article's reference list
    assert not [t for t in mwparserfromhell.parse(text).filter_templates() if str(t.name).strip() == "Delete"]
    # what the article already has is not added twice
    again = edits.propose_edit(text, site_name="常楽寺", designation="市指定文化財", photos=["New photo.jpg"],
                               dataset=data)
    assert again == text


def test_edit_of_a_stub_puts_new_sections_before_its_categories():
    data = Source("dataset", "一覧", url="https://example.org/l", id=1)
    text = edits.propose_edit("'''X'''は寺。\n[[Category:A]]\n[[Category:B]]", site_name="X", designation="県指定",
                              photos=["X.jpg"], dataset=data)
    assert text.startswith("'''X'''は寺。\n")
    assert text.index("== ギャラリー ==") < text.index("== 文化財 ==") < text.index("== 脚注 ==\n<references />") \
        < text.index("[[Category:A]]")


def test_opendata_url_and_licence_from_event_toml(tmp_path):
    from wikitown.core.config import load_config, save_config
    from wikitown.store.db import site_provenance

    event = _event(tmp_path)
    cfg = event.config
    from wikitown.core.config import OpenDataSource

    cfg.opendata = [OpenDataSource("data/list.csv", {}, "焼津市 文化財一覧", "https://example.org/list.csv", "CC BY 2.1 JP")]
    save_config(event.dir, cfg)
    assert load_config(event.dir).opendata[0].licence == "CC BY 2.1 JP"
    with event.store.write() as c:
        c.execute(site_provenance.insert().values(site_id="s1", source="opendata:list.csv", source_id="1", data={},
                                                  fetched_at="2026-11-20T10:00:00+00:00"))
    from wikitown.store.events import open_event

    event = open_event(event.dir)
    draft, _ = drafts.open_draft(event, "s1", check_wiki=False)
    text = review.current_wikitext(event.store, draft.id)
    assert ("{{Cite web|和書|url=https://example.org/list.csv|title=焼津市 文化財一覧|publisher=焼津市|"
            "accessdate=2026-11-20|type=オープンデータ、CC BY 2.1 JP}}") in text


def test_a_list_imported_without_an_opendata_entry_is_cited_by_its_drafts(tmp_path):
    """`sites import --event` (and the app's Sites page) add no [[opendata]] entry: the drafts'
    facts still cite the file they came from (the attribution's URL and licence when it has them)."""
    from tests.harness.requirements import shared_data
    from wikitown.drafts.register import register_opendata, sources_for_site
    from wikitown.gaps.collect import import_files
    from wikitown.store.sites import load_sites

    event = create_event(tmp_path / "ev", name="谷根千", lat=35.725, lon=139.775, radius_km=20,
                         municipality="台東区")
    event.config.attribution = "東京都の文化財一覧 https://example.lg.jp/bunkazai.csv CC BY 4.0"
    # the constructed Tokyo list: the municipality column empty, sites in three wards
    path = shared_data("opendata", "tokyo_wards_constructed", "bunkazai_tokyo_sjis.csv")
    assert not import_files(event, [(path, {})]).failures
    assert event.config.opendata == []
    first = register_opendata(event)
    assert len(first) == 1 and register_opendata(event) == first  # idempotent
    site = next(s for s in load_sites(event.store) if s.name == "根津神社")
    (source, _pages), = sources_for_site(event.store, site.id)
    assert (source.kind, source.title, source.url, source.data["licence"], source.publisher) == \
        ("dataset", "bunkazai_tokyo_sjis.csv", "https://example.lg.jp/bunkazai.csv", "CC BY 4.0", "")
    built, _ = drafts.open_draft(event, site.id, check_wiki=False)
    text = review.current_wikitext(event.store, built.id)
    lead = text.split("\n\n")[1] if text.startswith("{{") else text.split("\n\n")[0]
    assert "<ref" in lead and "https://example.lg.jp/bunkazai.csv" in text
    assert "台東区" not in text  # a list of several wards is not published by the event's ward
    event.close()
