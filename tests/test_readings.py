"""Readings of site names (issue 11.5): the source's kana wins over any guess, in the lead and in
``{{DEFAULTSORT:}}``; a guessed reading is marked for checking, and a sort key left behind when a
writer corrects the lead's reading is reported.

The pairs are real: 台東区's list of 埋蔵文化財包蔵地 gives ふりがな for some sites and not others
(tests/data/opendata/tokyo_taito_iseki_sjis), and pykakasi reads several of those names wrongly
(浅間神社 せんげん as あさま, 三崎町 さんさきちょう as みさきちょう), so a draft that took the guess over
the source would show it.
"""
from __future__ import annotations

import re

import mwparserfromhell
import pytest

from tests.harness.requirements import shared_data
from wikitown.core.site import Site
from wikitown.drafts import builder as drafts
from wikitown.drafts.builder import CHECK_READING, build_draft, build_drafts, guess_reading
from wikitown.drafts.checks import check_wikitext
from wikitown.drafts.sortkey import sort_key
from wikitown.gaps.collect import import_files
from wikitown.sources.opendata import read_file
from wikitown.store.events import create_event
from wikitown.store.sites import load_sites

TAITO = ("opendata", "tokyo_taito_iseki_sjis", "13106_Taito-kuSJS.csv")


def _defaultsort(text: str) -> str:
    found = [str(t.name) for t in mwparserfromhell.parse(text).filter_templates()
             if str(t.name).startswith("DEFAULTSORT:")]
    assert len(found) == 1, found
    return found[0].split(":", 1)[1]


def _taito_sites() -> dict[str, Site]:
    return {s.name: s for s in read_file(shared_data(*TAITO)).records}


def _codes(text: str) -> list[str]:
    return [f.code for f in check_wikitext(text)]


@pytest.mark.parametrize("name", ["浅間神社遺跡", "谷中三崎町遺跡", "上根岸町遺跡"])
def test_the_sources_kana_wins_over_the_guess_in_lead_and_sort_key(name):
    site = _taito_sites()[name]
    kana = site.name_kana
    guess = guess_reading(site.name)
    assert kana and sort_key(guess) != sort_key(kana)  # the guess would be wrong: the test can see it

    built = build_draft(site, "ja", municipality="台東区", municipality_code="131067")
    assert f"'''{name}'''（{kana}）は、" in built.wikitext
    assert _defaultsort(built.wikitext) == sort_key(kana)
    assert guess not in built.wikitext and sort_key(guess) not in built.wikitext
    assert "reading_guessed" not in built.flags and CHECK_READING not in built.wikitext
    assert "reading_unconfirmed" not in _codes(built.wikitext) and "sortkey_mismatch" not in _codes(built.wikitext)

    en = build_draft(site, "en", municipality="台東区", municipality_code="131067")
    assert f"({name}, {kana})" in en.wikitext and "reading_guessed" not in en.flags


@pytest.mark.parametrize("kana", ["センゲンジンジャイセキ", "ｾﾝｹﾞﾝｼﾞﾝｼﾞｬｲｾｷ"])  # half-width from old systems too
def test_a_katakana_source_reading_is_shown_in_hiragana_and_still_wins(kana):
    site = Site(id="s", name="浅間神社遺跡", name_kana=kana, municipality="台東区")
    built = build_draft(site, "ja")
    assert "'''浅間神社遺跡'''（せんげんじんじゃいせき）" in built.wikitext
    assert _defaultsort(built.wikitext) == "せんけんしんしやいせき"
    assert "reading_guessed" not in built.flags


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_guessed_reading_is_marked_for_checking(lang):
    site = _taito_sites()["浅間神社遺跡"]
    site.name_kana = ""  # the same site from a list without a kana column
    built = build_draft(site, lang, municipality="台東区", municipality_code="131067")
    guess = guess_reading(site.name)
    assert "reading_guessed" in built.flags
    # the mark sits right after the guessed reading, and the checks report it until it is removed
    assert guess + f"<!-- {CHECK_READING} -->" in built.wikitext
    assert _codes(built.wikitext).count("reading_unconfirmed") == 1
    if lang == "ja":
        assert _defaultsort(built.wikitext) == sort_key(guess)


@pytest.mark.parametrize("not_kana", ["Sengen jinja iseki", "浅間神社遺跡", "せんげん神社"])
def test_a_kana_column_holding_something_else_is_not_taken_as_the_reading(not_kana):
    site = Site(id="s", name="浅間神社遺跡", name_kana=not_kana, municipality="台東区")
    built = build_draft(site, "ja")
    assert "reading_guessed" in built.flags and CHECK_READING in built.wikitext
    assert f"（{not_kana}" not in built.wikitext


def test_correcting_the_leads_reading_but_not_the_sort_key_is_reported():
    site = _taito_sites()["浅間神社遺跡"]
    site.name_kana = ""
    built = build_draft(site, "ja", municipality="台東区")
    guess = guess_reading(site.name)
    # the writer corrects the reading in the lead and removes the mark, forgetting DEFAULTSORT
    fixed = built.wikitext.replace(guess + f"<!-- {CHECK_READING} -->", "せんげんじんじゃいせき")
    findings = [f for f in check_wikitext(fixed) if f.code == "sortkey_mismatch"]
    assert len(findings) == 1 and "reading_unconfirmed" not in _codes(fixed)
    assert findings[0].params["expected"] == "せんけんしんしやいせき"
    assert "せんけんしんしやいせき" in findings[0].message("ja") and "DEFAULTSORT" in findings[0].message("en")
    # ... and once the sort key follows the lead, nothing is left to report
    mended = fixed.replace(f"{{{{DEFAULTSORT:{sort_key(guess)}}}}}", "{{DEFAULTSORT:せんけんしんしやいせき}}")
    assert "sortkey_mismatch" not in _codes(mended)


def test_sort_key_check_reads_readings_with_brackets_and_digits():
    site = Site(id="s", name="護信寺・弁天宮(光心寺跡)", name_kana="ごしんじ・べんてんぐう(こうしんじ)")
    built = build_draft(site, "ja")
    assert _defaultsort(built.wikitext) == "こしんしへんてんくうこうしんし"
    assert "sortkey_mismatch" not in _codes(built.wikitext)
    assert "sortkey_mismatch" in _codes(built.wikitext.replace("DEFAULTSORT:こしんし", "DEFAULTSORT:こしんてら"))
    line = Site(id="t", name="上海軌道交通3号線", name_kana="シャンハイキドウコウツウ3")
    assert "sortkey_mismatch" not in _codes(build_draft(line, "ja").wikitext)


def test_every_imported_site_takes_its_sources_kana_through_the_store(tmp_path):
    """A real list through import, the store and the event's drafts: sites with ふりがな get it,
    the others get a marked guess."""
    event = create_event(tmp_path / "ev", name="谷中", lat=35.72, lon=139.77, radius_km=3,
                         municipality="台東区", municipality_code="131067", code="TAITO-1")
    report = import_files(event, [(shared_data(*TAITO), {})])
    assert not report.failures
    sites = {s.id: s for s in load_sites(event.store)}
    with_kana = {sid for sid, s in sites.items() if s.name_kana}
    assert len(with_kana) >= 40 and len(sites) - len(with_kana) >= 5  # both kinds are in the list
    built = build_drafts(event.store, "ja", municipality="台東区", municipality_code="131067", check_wiki=False)
    assert {b.site_id for b in built} == set(sites)
    for draft in built:
        site = sites[draft.site_id]
        if draft.site_id in with_kana:
            assert _defaultsort(draft.wikitext) == sort_key(site.name_kana), site.name
            assert "reading_guessed" not in draft.flags and CHECK_READING not in draft.wikitext, site.name
        else:
            assert "reading_guessed" in draft.flags and CHECK_READING in draft.wikitext, site.name
    # the event's own draft (stored, then checked) follows the same rule
    sengen = next(s for s in sites.values() if s.name == "浅間神社遺跡")
    draft, _ = drafts.open_draft(event, sengen.id, check_wiki=False)
    from wikitown.drafts import review

    text = review.current_wikitext(event.store, draft.id)
    assert "（せんげんじんじゃいせき）" in text and _defaultsort(text) == "せんけんしんしやいせき"
    assert not {"reading_unconfirmed", "sortkey_mismatch"} & {f.code for f in drafts.check_draft(event.store, draft.id)}
    event.close()


@pytest.mark.parametrize("name, reading", [
    ("領玄寺貝塚", "りょうげんじかいづか"),  # 〜寺 that pykakasi splits off reads じ, not てら
    ("常楽寺", "じょうらくじ"),
    ("清水寺", "きよみずでら"),  # a name pykakasi knows keeps its own reading
    ("山寺", "やまでら"),
])
def test_guessed_temple_names_read_ji(name, reading):
    assert guess_reading(name) == reading
    assert re.fullmatch(r"[\u3040-\u309fー]+", guess_reading(name))
