"""Exports read back with independent parsers: csv, json, gpxpy, ElementTree, mwparserfromhell."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import gpxpy
import mwparserfromhell
import pandas as pd

from wikitown.core.config import Area
from wikitown.gaps.exports import export, to_csv, to_geojson, to_gpx, to_kml, to_wikitext
from wikitown.gaps.collect import with_priority
from wikitown.store.sites import CSV_COLUMNS

AREA = Area(34.85, 138.30, 10.0)


def frame():
    rows = [
        dict(id="s1", name="常楽寺", name_kana="じょうらくじ", designation="国指定重要文化財", designation_level="national",
             category="建造物", municipality="焼津市", address="焼津市北浜通", lat=34.8712, lon=138.3118,
             coord_status="ok", sources="opendata:a.csv;wikidata", source_ids="opendata:a.csv=12;wikidata=Q9", wikidata_id="Q9", article_status="missing",
             article_title="", has_photo=False, other_articles={"en": "Jorakuji"}, selected=True),
        dict(id="s2", name="法華寺", name_kana="", designation="市指定", designation_level="municipal", category="寺院",
             municipality="焼津市", address="", lat=34.9086, lon=138.3312, coord_status="geocoded", sources="osm",
             wikidata_id="", article_status="exists", article_title="法華寺 (焼津市)", has_photo=True,
             other_articles={}, selected=False),
        dict(id="s3", name="=HYPERLINK(\"http://evil\")", name_kana="", designation="", designation_level="",
             category="", municipality="", address="", lat=None, lon=None, coord_status="missing",
             sources="opendata:a.csv", wikidata_id="", article_status="unchecked", article_title="",
             has_photo=None, other_articles={}, selected=False),
        dict(id="s4", name="Category:罠]] {{delete}} ~~~~", name_kana="", designation="", designation_level="",
             category="", municipality="", address="", lat=34.86, lon=138.32, coord_status="ok",
             sources="opendata:a.csv", wikidata_id="", article_status="missing", article_title="", has_photo=None,
             other_articles={}, selected=False),
    ]
    return with_priority(pd.DataFrame(rows), AREA)


def test_priority_favours_designated_sites_without_article_or_photo():
    f = frame()
    assert list(f["id"])[0] == "s1"  # national, missing, no photo, near the start
    assert f.set_index("id")["priority"]["s1"] > f.set_index("id")["priority"]["s4"] > f.set_index("id")["priority"]["s2"]


def test_csv_columns_and_injection():
    text = to_csv(frame()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0])[:len(CSV_COLUMNS)] == CSV_COLUMNS
    by = {r["site_id"]: r for r in rows}
    assert by["s1"]["lat"] == "34.8712" and by["s1"]["has_photo"] == "false" and by["s1"]["other_articles"] == "en:Jorakuji"
    assert by["s1"]["source_ids"] == "opendata:a.csv=12;wikidata=Q9"  # provenance in the file
    assert by["s3"]["name"].startswith("'=")  # no formula in a spreadsheet
    assert by["s3"]["lat"] == "" and by["s2"]["coord_status"] == "geocoded"


def test_geojson_gpx_kml():
    f = frame()
    gj = json.loads(to_geojson(f))
    feats = {x["id"]: x for x in gj["features"]}
    assert feats["s1"]["geometry"]["coordinates"] == [138.3118, 34.8712]
    assert feats["s3"]["geometry"] is None and feats["s1"]["properties"]["article_status"] == "missing"
    gpx = gpxpy.parse(to_gpx(f, lang="ja", name="テスト").decode("utf-8"))
    names = [w.name for w in gpx.waypoints]
    assert "常楽寺" in names and len(names) == 3  # no point, no waypoint
    w = gpx.waypoints[names.index("常楽寺")]
    assert (w.latitude, w.longitude, w.type) == (34.8712, 138.3118, "missing") and "記事" in w.description
    root = ET.fromstring(to_kml(f, lang="en"))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = root.findall(".//k:Placemark", ns)
    assert len(marks) == 3
    coords = {m.find("k:name", ns).text: m.find(".//k:coordinates", ns).text for m in marks}
    assert coords["常楽寺"] == "138.3118000,34.8712000,0"
    assert "Category:罠]] {{delete}} ~~~~" in coords  # text in XML, escaped by the writer


def test_wikitext_red_links_and_hostile_names():
    text = to_wikitext(frame(), lang="ja").decode("utf-8")
    code = mwparserfromhell.parse(text)
    links = [str(l.title) for l in code.filter_wikilinks()]
    assert ":常楽寺" in links and ":法華寺 (焼津市)" in links
    assert not code.filter_templates()  # {{delete}} stays text
    assert "~~~~" not in text and not any("罠" in l for l in links)
    headings = [str(h.title).strip() for h in code.filter_headings()]
    assert headings[0] == "記事がない文化財"
    assert export(frame(), "wikitext", lang="ja") == text.encode("utf-8")
