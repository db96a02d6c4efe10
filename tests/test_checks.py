"""Each check finds the fault it was seeded with, says where it is, and a clean draft has none."""
from __future__ import annotations

import re

import pytest

from wikitown.drafts.checks import check_wikitext
from wikitown.drafts.citations import Source
from wikitown.drafts.builder import Site, build_draft

LAT, LON = 34.8647761, 138.3246443
SOURCE = Source("book", "焼津市史 通史編", authors="焼津市史編さん委員会", publisher="焼津市", year="2007",
                isbn="978-4-04-893065-9", id=1)
DATASET = Source("dataset", "焼津市 文化財マップ", publisher="焼津市", url="https://github.com/yaizu-city/opendata",
                 access_date="2026-11-28", id=2)


def clean_draft() -> str:
    site = Site(id="s1", name="常楽寺", name_kana="ジョウラクジ", designation="市指定", category="建造物",
                address="焼津市北浜通95-2", municipality="焼津市", lat=LAT, lon=LON)
    built = build_draft(site, "ja", sources=[(SOURCE, "12"), (DATASET, "")], municipality_code="222127")
    # the writer's part: the history section, with a reference
    return re.sub(r"<!-- wikitown:placeholder [^>]*-->",
                  "江戸時代に再建された。<ref>{{Cite book|和書|title=焼津市史 通史編|publisher=焼津市|page=3}}</ref>",
                  built.wikitext, count=1)


def codes(text: str, **kw) -> list[str]:
    return [f.code for f in check_wikitext(text, site_lat=LAT, site_lon=LON, **kw)]


def test_a_clean_draft_has_no_findings():
    text = clean_draft()
    assert check_wikitext(text, site_lat=LAT, site_lon=LON) == []


def _seed(fault: str, where: str = "== 歴史 ==\n") -> str:
    text = clean_draft()
    assert where in text
    return text.replace(where, where + fault + "\n", 1)


@pytest.mark.parametrize("fault, code", [
    ("本堂がある。{{Cite book|和書|title=本", "unclosed_template"),
    ("本堂がある。<ref>焼津市史 p.3", "unclosed_ref"),
    ("本堂がある。[[焼津市", "unclosed_link"),
    ("本堂がある。<ref>{{Cite book|和書|author=誰か|publisher=某社}}</ref>", "ref_no_title"),
    ("本堂がある。<ref>[https://example.org/a]</ref>", "ref_no_title"),
    ("本堂がある。<ref>https://example.org/a</ref>", "bare_url"),
    ("本堂は https://example.org/a にある。<ref name=\"src2\" />", "bare_url"),
    ("本堂がある。出典のない段落。\n", "unreferenced_paragraph"),
    ("本堂は○○年に建てられた。<ref name=\"src2\" />", "placeholder"),
    ("TODO 本堂について書く。<ref name=\"src2\" />", "placeholder"),
    ("<!-- wikitown:placeholder ここに書く -->", "placeholder"),
    ("本堂がある。<ref>{{Cite book|和書|title=本|isbn=978-4-04-893065-0}}</ref>", "invalid_isbn"),
    ("本堂がある。<ref>本 ISBN 4-04-893065-0</ref>", "invalid_isbn"),
    ("{{Coord|34.87|138.33|region:JP|display=title}}", "coord_far"),
    ("{{Coord|34|52|N|138|20|E}}", "coord_far"),
    ("{{Coord|north|east}}", "coord_invalid"),
    ("<script>alert(1)</script>", "raw_html"),
    ("<div onclick=\"steal()\">本堂</div>", "raw_html"),
    ("<iframe src=\"https://example.org\">", "raw_html"),
    ("<span style=\"background:url(javascript:x)\">本堂</span>", "raw_html"),
    ("<form action=\"x\"><input name=a></form>", "raw_html"),
    ("本堂がある。<ref name=\"nowhere\" />", "ref_undefined"),
])
def test_each_fault_is_found_where_it_is(fault, code):
    text = _seed(fault)
    findings = check_wikitext(text, site_lat=LAT, site_lon=LON)
    matching = [f for f in findings if f.code == code]
    assert matching, (code, findings)
    line = text.split("\n").index("== 歴史 ==") + 2
    assert matching[0].line == line
    assert matching[0].section == "歴史"
    assert "歴史" in matching[0].message("ja") and str(line) in matching[0].message("en")


def test_lead_findings_say_lead():
    text = re.sub(r"<ref name=\"src2\">.*?</ref>", "", clean_draft(), count=1, flags=re.S)
    found = check_wikitext(text)
    lead = [f for f in found if f.code == "unreferenced_paragraph"]
    assert lead and lead[0].section == "" and "導入部" in lead[0].message("ja")
    # the 文化財 item still reuses the footnote that is gone
    assert [f.section for f in found if f.code == "ref_undefined"] == ["文化財"]


def test_coordinates_within_the_limit_pass_and_limit_is_configurable():
    text = _seed("{{Coord|34.8650|138.3250}}")  # about 50 m away
    assert "coord_far" not in codes(text)
    assert "coord_far" in codes(text, max_distance_m=10)


def test_generated_draft_marks_what_is_left_to_do():
    site = Site(id="s2", name="法華寺", lat=LAT, lon=LON)  # no reading, no sources
    found = codes(build_draft(site, "ja").wikitext)
    assert "reading_unconfirmed" in found and "placeholder" in found and "unreferenced_paragraph" in found


def test_lists_tables_and_templates_are_not_paragraphs():
    text = ("{{Infobox\n|a=b\n}}\n\n* 項目\n* 項目2\n\n{| class=\"wikitable\"\n|-\n| セル\n|}\n\n"
            "{{DEFAULTSORT:あ}}\n[[Category:テスト]]\n")
    assert check_wikitext(text) == []


def test_every_finding_and_state_has_a_message_in_both_languages():
    from wikitown.drafts import checks
    from wikitown.drafts import review
    from wikitown.core.i18n import t

    codes_in_module = set(re.findall(r'"([a-z_]+)"', open(checks.__file__, encoding="utf-8").read()))
    finding_codes = {c for c in codes_in_module if t(f"drafts.check.{c}", "en") != f"drafts.check.{c}"}
    assert {"unclosed_template", "unclosed_ref", "bare_url", "raw_html", "coord_far"} <= finding_codes
    for lang in ("ja", "en"):
        for code in finding_codes:
            assert t(f"drafts.check.{code}", lang) != f"drafts.check.{code}"
        for state in review.STATES:
            assert t(f"drafts.state.{state}", lang) != f"drafts.state.{state}"
