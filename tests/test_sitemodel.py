"""One site model and data fidelity in import (issues 11.1, 12.3, 12.4, 12.6, 15.4-15.7).

Real lists (台東区 Shift_JIS, 高松市, 焼津市) and a Tokyo-shaped list with an empty municipality column
(tests/data/opendata/tokyo_wards_constructed): original text survives byte for byte through import and
store, each site gets its own ward, the kind comes from the source, repairs and damaged names are
reported per row and shown in the sites table, packed degrees-minutes-seconds are converted inside the area.
"""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from types import SimpleNamespace

import mwparserfromhell
import pytest
import sqlalchemy as sa

from tests.harness.requirements import shared_data
from wikitown.core.config import Area
from wikitown.core.i18n import translator
from wikitown.core.normalize import nfkc
from wikitown.core.places import parse_address
from wikitown.core.site import Site
from wikitown.drafts import builder as drafts
from wikitown.gaps.collect import import_files, records_to_rows
from wikitown.gaps.merge import merge_records
from wikitown.sources import opendata
from wikitown.store.events import create_event
from wikitown.store.sites import load_sites, sites_frame

TOKYO = ("opendata", "tokyo_wards_constructed", "bunkazai_tokyo_sjis.csv")


def _tokyo_event(tmp_path, municipality="台東区"):
    return create_event(tmp_path / "ev", name="谷根千", lat=35.725, lon=139.775, radius_km=3,
                        municipality=municipality, municipality_code="131067", code="TOKYO-1")


def _by_name(store) -> dict[str, Site]:
    return {s.name: s for s in load_sites(store)}


# ------------------------------------------------------------------ original text, byte for byte


def _raw_names(path, encoding, column):
    with open(path, encoding=encoding, newline="") as fh:
        return [r[column] for r in csv.DictReader(fh) if r[column].strip()]


@pytest.mark.parametrize("parts, encoding, column", [
    (("opendata", "tokyo_taito_iseki_sjis", "13106_Taito-kuSJS.csv"), "cp932", "遺跡名"),
    (("opendata", "takamatsu_372013", "0063_2023-03-16.csv"), "utf-8-sig", "name"),
    (TOKYO, "cp932", "名称"),
])
def test_original_names_survive_import_and_store_byte_for_byte(tmp_path, parts, encoding, column):
    path = shared_data(*parts)
    raw = _raw_names(path, encoding, column)
    event = _tokyo_event(tmp_path)
    report = import_files(event, [(path, {})])
    assert not report.failures
    stored = [s.name for s in load_sites(event.store)]
    assert sorted(stored) == sorted(raw)
    assert {s.name.encode("utf-8") for s in load_sites(event.store)} == {n.encode("utf-8") for n in raw}
    # the matching key is the normalised form, kept apart and never written over the name
    for site in load_sites(event.store):
        assert site.name_key == nfkc(site.name)
    # the sites CSV export keeps them too
    from wikitown.gaps.exports import to_csv

    exported = list(csv.DictReader(io.StringIO(to_csv(sites_frame(event.store)).decode("utf-8-sig"))))
    assert sorted(r["name"] for r in exported) == sorted(raw)
    event.close()


def test_the_real_lists_hold_names_that_normalisation_would_change():
    """The test above can fail: these names are not their NFKC form (double spaces, （）, U+3000, １)."""
    takamatsu = _raw_names(shared_data("opendata", "takamatsu_372013", "0063_2023-03-16.csv"), "utf-8-sig", "name")
    tokyo = _raw_names(shared_data(*TOKYO), "cp932", "名称")
    assert sum(nfkc(n) != n for n in takamatsu) >= 1
    assert {"寛永寺旧本坊表門（黒門）", "庚申塔　第１号"} <= {n for n in tokyo if nfkc(n) != n}


def test_multi_line_text_and_owner_are_kept_as_written(tmp_path):
    event = _tokyo_event(tmp_path)
    import_files(event, [(shared_data(*TOKYO), {})])
    shiki = _by_name(event.store)["子規庵"]
    assert shiki.description == "　正岡子規が明治二十七年から亡くなるまで住んだ家。\n　戦災で焼失し、昭和二十五年に再建された。"
    assert shiki.owner == "公益財団法人　子規庵保存会"
    nezu = _by_name(event.store)["根津神社"]
    assert nezu.description.splitlines()[1] == "（本殿・幣殿・拝殿・唐門・西門・透塀・楼門）"
    # the hint shown to the draft's writer is that text too
    hints = drafts.hints_for_site(event.store, shiki.id)
    assert hints[-1].text == shiki.description
    event.close()


# ------------------------------------------------------------------ municipality per site


@pytest.mark.parametrize("address, prefecture, municipality", [
    ("東京都文京区根津一丁目28番9号", "東京都", "文京区"), ("台東区 谷中四丁目", "東京都", "台東区"),
    ("荒川区南千住六丁目60番1号", "東京都", "荒川区"), ("京都府京都市東山区清水一丁目", "京都府", "京都市"),
    ("北海道余市郡余市町黒川町", "北海道", "余市町"), ("三重県四日市市諏訪町", "三重県", "四日市市"),
    ("新潟県十日町市本町", "新潟県", "十日町市"), ("奈良県大和郡山市城内町", "奈良県", "大和郡山市"),
    ("焼津市北浜通95-2", "", "焼津市"), ("〒110-0001 東京都台東区谷中", "東京都", "台東区"),
    ("本町2丁目", "", ""), ("上野公園", "", ""), ("静岡県榛原郡吉田町", "静岡県", "吉田町"),
])
def test_municipality_from_address_text(address, prefecture, municipality):
    place = parse_address(address)
    assert (place.prefecture, place.municipality) == (prefecture, municipality)


def test_each_site_gets_its_own_ward_with_its_origin(tmp_path):
    event = _tokyo_event(tmp_path, municipality="台東区")
    import_files(event, [(shared_data(*TOKYO), {})])
    sites = _by_name(event.store)
    got = {name: (s.municipality, s.municipality_origin) for name, s in sites.items()}
    assert got["根津神社"] == ("文京区", "address")  # not the event's 台東区
    assert got["旧安田楠雄邸庭園"] == ("文京区", "address")
    assert got["素盞雄神社"] == ("荒川区", "address")
    assert got["子規庵"] == ("台東区", "address")
    assert got["摺鉢山古墳"] == ("台東区", "coordinates")  # no address: its neighbours' ward
    assert got["庚申塔　第１号"] == ("台東区", "event")  # nothing at all: the event's, and it says so
    event.close()


def test_the_municipality_column_wins_over_the_address(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("名称,市区町村名,所在地\n根津神社,文京区,台東区谷中\n", encoding="utf-8")
    (site,) = opendata.read_file(path).records
    assert (site.municipality, site.municipality_origin) == ("文京区", "field")


def test_draft_titles_take_the_sites_own_ward_only_when_the_plain_title_is_taken(tmp_path):
    event = _tokyo_event(tmp_path, municipality="台東区")
    import_files(event, [(shared_data(*TOKYO), {})])
    nezu = _by_name(event.store)["根津神社"]
    bare, suffixed, _ = drafts.candidate_titles(nezu, "ja", "台東区")
    assert (bare, suffixed) == ("根津神社", "根津神社 (文京区)")

    class Wiki:  # answers like MediaWikiAPI.pages_by_titles
        def __init__(self, existing):
            self.existing = existing

        def pages_by_titles(self, titles):
            return {t: ({"pageid": 1} if t in self.existing else {"missing": True}) for t in titles}

    assert drafts.check_titles(Wiki(set()), {nezu.id: (bare, suffixed)})[nezu.id].title == "根津神社"
    taken = drafts.check_titles(Wiki({"根津神社"}), {nezu.id: (bare, suffixed)})[nezu.id]
    assert (taken.title, taken.status) == ("根津神社 (文京区)", "disambiguated")
    built = drafts.build_draft(nezu, "ja", title=taken)
    assert built.title == "根津神社 (文京区)" and "東京都文京区根津" in built.wikitext and "台東区" not in built.wikitext
    event.close()


# ------------------------------------------------------------------ kind from the source


def test_kind_from_the_source_category_wins_over_the_name(tmp_path):
    event = _tokyo_event(tmp_path)
    import_files(event, [(shared_data(*TOKYO), {})])
    sites = _by_name(event.store)
    assert (sites["子規庵"].kind, sites["子規庵"].kind_origin) == ("other", "source")  # 史跡, not a temple
    assert (sites["寛永寺旧本坊表門（黒門）"].kind, sites["寛永寺旧本坊表門（黒門）"].kind_origin) == ("temple", "source")
    assert (sites["根津神社"].kind, sites["根津神社"].kind_origin) == ("shrine", "source")
    assert (sites["回向院"].kind, sites["回向院"].kind_origin) == ("temple", "name")  # no category: a guess
    shiki = drafts.build_draft(sites["子規庵"], "ja")
    assert "日本の寺院" not in shiki.wikitext and "の寺院]]" not in shiki.wikitext
    assert "kind_guessed" not in shiki.flags and "にある寺院" not in shiki.wikitext
    kaneiji = mwparserfromhell.parse(drafts.build_draft(sites["寛永寺旧本坊表門（黒門）"], "ja").wikitext)
    assert str(kaneiji.filter_templates()[0].name).strip() == "日本の寺院"
    event.close()


def test_a_guessed_kind_gets_no_infobox_and_is_marked(tmp_path):
    event = _tokyo_event(tmp_path)
    import_files(event, [(shared_data(*TOKYO), {})])
    ekoin = _by_name(event.store)["回向院"]
    for lang in ("ja", "en"):
        built = drafts.build_draft(ekoin, lang, photos=[drafts.Photo("Ekoin Minamisenju.jpg")])
        names = {str(t.name).strip() for t in mwparserfromhell.parse(built.wikitext).filter_templates()}
        assert not names & {"日本の寺院", "神社", "Infobox religious building", "Infobox shrine"}
        assert "[[Category:東京都の寺院]]" not in built.wikitext and "Buddhist temples" not in built.wikitext
        assert "wikitown:check-kind" in built.wikitext and "kind_guessed" in built.flags
        assert "Ekoin Minamisenju.jpg" in built.wikitext  # the photo is not lost with the infobox
    from wikitown.drafts.checks import check_wikitext

    codes = [f.code for f in check_wikitext(drafts.build_draft(ekoin, "ja").wikitext)]
    assert "kind_unconfirmed" in codes


def test_merge_prefers_the_most_trusted_kind():
    town = Site(source="opendata:list.csv", source_id="1", name="子規庵", lat=35.7237, lon=139.7811,
                coord_status="ok", kind="other", kind_origin="source")
    osm = Site(source="osm", source_id="node/1", name="子規庵", lat=35.7237, lon=139.7811, coord_status="ok",
               kind="temple", kind_origin="name")
    wd = Site(source="wikidata", source_id="Q1", name="子規庵", lat=35.7237, lon=139.7811, coord_status="ok",
              kind="shrine", kind_origin="wikidata")
    (site,) = merge_records([osm, town, wd])
    assert (site.site.kind, site.site.kind_origin) == ("other", "source")
    (site,) = merge_records([osm, wd])
    assert (site.site.kind, site.site.kind_origin) == ("shrine", "wikidata")


def test_wikidata_p31_gives_the_kind():
    from wikitown.sources.wikidata import parse_results

    def b(qid, label, instance):
        return {"item": {"value": f"http://www.wikidata.org/entity/{qid}"}, "label_ja": {"value": label},
                "instance": {"value": f"http://www.wikidata.org/entity/{instance}"}}

    data = {"results": {"bindings": [b("Q1", "子規庵", "Q1081138"), b("Q2", "根津神社", "Q845945")]}}
    got = {r.name: (r.kind, r.kind_origin) for r in parse_results(data).records}
    assert got == {"子規庵": ("other", "wikidata"), "根津神社": ("shrine", "wikidata")}


# ------------------------------------------------------------------ repairs and damaged names, per row


def test_repairs_and_damaged_names_are_reported_per_row(tmp_path):
    result = opendata.read_file(shared_data(*TOKYO), area=Area(35.725, 139.775, 3.0))
    by_line = {}
    for issue in result.issues:
        by_line.setdefault(issue.line, []).append(issue)
    assert [(i.code, i.action) for i in by_line[2]] == [("coords_repaired", "repaired")]  # 035.723700
    assert "'035.723700'" in by_line[2][0].reason
    # (子規庵's 説明 spans lines 2-3 and 根津神社's 5-6: lines are the file's, as an editor shows them)
    assert [(i.code, i.action) for i in by_line[9]] == [("coords_repaired", "repaired")]  # ", 139.799200"
    assert [(i.code, i.action) for i in by_line[8]] == [("name_damaged", "flagged")]  # 森?外遺跡
    ja, en = by_line[8][0].message("ja"), by_line[8][0].message("en")
    assert "森?外遺跡" in ja and "森?外遺跡" in en and ja != en
    assert "035.723700" in by_line[2][0].message("ja") and "35.723700" in by_line[2][0].message("en")
    recs = {r.name: r for r in result.records}
    assert (recs["子規庵"].lat, recs["素盞雄神社"].lon) == (35.7237, 139.7992)  # repaired, kept, reported
    assert recs["森?外遺跡"].name == "森?外遺跡"  # kept as the file has it, flagged
    # a replacement character from a bad decoding is flagged too
    path = tmp_path / "fffd.csv"
    path.write_text("名称,緯度,経度\n山田宗\ufffd墓,35.72,139.77\n常楽寺,35.72,139.77\n", encoding="utf-8")
    issues = opendata.read_file(path).issues
    assert [(i.line, i.code) for i in issues] == [(2, "name_damaged")]


def test_findings_are_stored_and_shown_in_the_sites_table(tmp_path):
    from wikitown.app.sites import localised_frame

    event = _tokyo_event(tmp_path)
    import_files(event, [(shared_data(*TOKYO), {})])
    sites = _by_name(event.store)
    assert [i["code"] for i in sites["森?外遺跡"].issues] == ["name_damaged"]
    assert sites["森?外遺跡"].issues[0]["line"] == 8
    assert [i["code"] for i in sites["子規庵"].issues] == ["coords_repaired"]
    assert sites["根津神社"].issues == []
    frame = sites_frame(event.store)
    for lang, label, header in (("ja", "名称に欠字", "取り込み時の注意"), ("en", "name damaged", "Import notes")):
        view = localised_frame(SimpleNamespace(t=translator(lang)), frame)
        notes = dict(zip(frame["name"], view[header]))
        assert notes["森?外遺跡"] == label and notes["根津神社"] == ""
    ja = localised_frame(SimpleNamespace(t=translator("ja")), frame)
    wards = dict(zip(frame["name"], ja["市区町村"]))
    assert wards["根津神社"] == "文京区（住所）" and wards["庚申塔　第１号"] == "台東区（イベントの市区町村）"
    event.close()


# ------------------------------------------------------------------ degrees-minutes-seconds

# Kyoto-Shiga stone monuments as that list packs them: 35.0123 means 35°01'23".
STONES = ("名称,緯度,経度\n"
          "道標（三条通）,35.0036,135.4633\n"  # 35°00'36" 135°46'33": 三条大橋 (raw is 35 km west: outside)
          "石碑（坂本）,35.0412,135.5217\n"  # 35°04'12" 135°52'17": 坂本
          "道標（大津）,35.0057,135.8650\n"  # already decimal and inside: left alone
          "石碑（遠い）,34.4000,133.3000\n")  # converted or not, far outside: stays suspect


def test_packed_dms_is_converted_inside_the_area_and_reported(tmp_path):
    path = tmp_path / "stones.csv"
    path.write_text(STONES, encoding="utf-8")
    area = Area(35.0, 135.85, 20.0)
    result = opendata.read_file(path, area=area)
    recs = {r.name: r for r in result.records}
    sanjo = recs["道標（三条通）"]
    assert sanjo.coord_status == "ok" and (sanjo.lat, sanjo.lon) == pytest.approx((35.01, 135.775833), abs=1e-6)
    assert sanjo.data["coordinates_raw"] == ["35.0036", "135.4633"]  # the raw value kept as evidence
    assert recs["石碑（坂本）"].coord_status == "ok"
    assert (recs["道標（大津）"].lat, recs["道標（大津）"].coord_status) == (35.0057, "ok")
    assert recs["石碑（遠い）"].coord_status == "suspect" and recs["石碑（遠い）"].lat == 34.4
    fixed = [(i.line, i.code, i.action) for i in result.issues if i.code == "dms_fixed"]
    assert fixed == [(2, "dms_fixed", "repaired"), (3, "dms_fixed", "repaired")]
    message = next(i for i in result.issues if i.line == 2).message("ja")
    assert "35.0036, 135.4633" in message and "35.010000" in message
    # stored with the site: the finding and the raw value in the provenance
    event = create_event(tmp_path / "ev", name="石碑", lat=35.0, lon=135.85, radius_km=20, code="STONE-1")
    import_files(event, [(path, {})])
    stored = _by_name(event.store)["道標（三条通）"]
    assert stored.coord_status == "ok" and [i["code"] for i in stored.issues] == ["dms_fixed"]
    from wikitown.store.db import site_provenance

    with event.store.read() as conn:
        prov = conn.execute(sa.select(site_provenance.c.data).where(site_provenance.c.site_id == stored.id)).scalar()
    assert prov["data"]["coordinates_raw"] == ["35.0036", "135.4633"]
    event.close()


def test_fix_dms_on_every_row_when_asked(tmp_path):
    path = tmp_path / "stones.csv"
    path.write_text(STONES, encoding="utf-8")
    plain = opendata.read_file(path)  # no area: nothing to tell DMS from decimals by
    assert not [i for i in plain.issues if i.code == "dms_fixed"]
    forced = opendata.read_file(path, fix_dms=True)
    # every row that can be read as packed DMS (135.8650 cannot: 86 minutes)
    assert {r.name for r in forced.records if r.data.get("coordinates_raw")} == {
        "道標（三条通）", "石碑（坂本）", "石碑（遠い）"}
    from wikitown.cli import main

    out = tmp_path / "sites.csv"
    assert main(["sites", "import", str(path), "--out", str(out), "--fix-dms"]) == 0
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert float(rows["道標（三条通）"]["lat"]) == pytest.approx(35.01)


# ------------------------------------------------------------------ one model, one store module


def test_sites_round_trip_through_the_store_as_one_model(tmp_path):
    event = _tokyo_event(tmp_path)
    import_files(event, [(shared_data(*TOKYO), {})])
    site = _by_name(event.store)["子規庵"]
    assert isinstance(site, Site) and site.id and site.source == ""
    again = Site.from_dict(json.loads(json.dumps(site.to_dict())))
    assert again == site
    rows = records_to_rows(opendata.read_file(shared_data(*TOKYO)).records, "台東区")
    assert {r["name"]: r["municipality_origin"] for r in rows}["庚申塔　第１号"] == "event"
    event.close()


def test_an_older_store_gains_the_new_columns_and_its_kinds_count_as_guesses(tmp_path):
    from wikitown.store.db import Store

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = Store(url)
    with store.write() as conn:
        for column in ("name_key", "kind_origin", "municipality_origin", "owner", "issues"):
            conn.exec_driver_sql(f"ALTER TABLE sites DROP COLUMN {column}")
        conn.exec_driver_sql("DELETE FROM schema_versions WHERE component = 'sites'")
        conn.exec_driver_sql("INSERT INTO sites (id, name, kind) VALUES ('s1', '回向院', 'temple')")
    store.dispose()
    store = Store(url)
    (site,) = load_sites(store)
    assert (site.kind, site.kind_origin) == ("temple", "name")
    assert drafts.kind_guessed(site)
    store.dispose()


def test_only_the_store_reads_or_writes_the_sites_table():
    """store/sites.py is the only code touching the sites table and the provenance."""
    import pathlib
    import re

    root = pathlib.Path(drafts.__file__).resolve().parents[1]
    pattern = re.compile(r"from wikitown\.store\.db import[^\n]*\bsites\b|\bsites\.c\.|site_provenance|\bst\.sites\b")
    offenders = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                       if p.parent.name != "store" and pattern.search(p.read_text(encoding="utf-8")))
    assert offenders == []


def test_nfkc_is_only_a_key(tmp_path):
    """U+3000 and full-width digits stay in the name; the key is what the wiki's titles use."""
    site = Site(name="庚申塔　第１号")
    assert site.name_key == "庚申塔 第1号" and unicodedata.normalize("NFKC", site.name) != site.name
    assert drafts.candidate_titles(site, "ja", "台東区")[0] == "庚申塔 第1号"


# ------------------------------------------------------------------ the wiki is asked for both forms


def test_the_wiki_is_asked_for_the_exact_name_and_its_normalised_form(mediawiki):
    """An article under the source's exact title (full-width brackets) and one under the normalised
    title are both found, on the loopback MediaWiki."""
    import uuid

    from wikitown.gaps.article_status import check_sites
    from wikitown.net.http import HttpClient
    from wikitown.net.mwapi import MediaWikiAPI

    t = uuid.uuid4().hex[:6]
    exact, normalised = f"寛永寺旧本坊表門（黒門{t}）", f"庚申塔 第1号{t}"
    mediawiki.create_page(exact, "'''寛永寺旧本坊表門'''は台東区にある門。")
    mediawiki.create_page(normalised, "'''庚申塔'''は台東区にある。")
    sites = [Site(id="a", name=exact), Site(id="b", name=f"庚申塔　第１号{t}"), Site(id="c", name=f"無い碑{t}")]
    rows = [{**s.to_dict(), "name_key": s.name_key, "other_articles": {}, "municipality": ""} for s in sites]
    api = MediaWikiAPI(mediawiki.api_url, HttpClient(retries=0))
    got = {st.site_id: (st.status, st.title) for st in check_sites(rows, api, geosearch=False)}
    assert got["a"] == ("exists", exact)
    assert got["b"] == ("exists", normalised)
    assert got["c"][0] == "missing"


def test_records_stored_before_origins_existed_keep_their_kinds_as_guesses(tmp_path):
    from wikitown.gaps.merge import merge_into_store
    from wikitown.store.db import site_provenance

    event = _tokyo_event(tmp_path)
    import_files(event, [(shared_data(*TOKYO), {})])
    with event.store.write() as conn:  # what an older wikitown stored: no kind_origin in the record
        for row in conn.execute(sa.select(site_provenance.c.id, site_provenance.c.data)).all():
            data = dict(row.data)
            data.pop("kind_origin")
            conn.execute(site_provenance.update().where(site_provenance.c.id == row.id).values(data=data))
    merge_into_store(event.store, [], replace_sources=set())
    sites = _by_name(event.store)
    assert (sites["子規庵"].kind, sites["子規庵"].kind_origin) == ("other", "name")
    event.close()
