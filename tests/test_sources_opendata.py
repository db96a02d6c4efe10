"""Municipal open data: every real file under tests/data/opendata (copies of the shared real lists), checked against what the
files hold (read here independently with csv/json/openpyxl), plus small files for each edge case."""
from __future__ import annotations

import csv
import json
import math

import openpyxl
import pytest

from tests.harness.requirements import shared_data
from wikitown.core.config import Area
from wikitown.core.errors import InputError
from wikitown.sources import opendata

YAIZU = Area(34.85, 138.30, 10.0)
TAKAMATSU = Area(34.34, 134.05, 20.0)


def _float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


# ------------------------------------------------------------------ real files


def test_takamatsu_csv_english_keys():
    path = shared_data("opendata", "takamatsu_372013", "0063_2023-03-16.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    named = [r for r in rows if r["name"].strip()]
    zero = [r for r in named if _float(r["latitude"]) == 0 and _float(r["longitude"]) == 0]
    result = opendata.read_file(path, area=TAKAMATSU)
    assert result.encoding == "utf-8"
    assert len(result.records) == len(named) == 176
    assert sum(r.coord_status == "missing" for r in result.records) == len(zero) == 127
    by_id = {r.source_id: r for r in result.records}
    for row in named:
        rec = by_id[row["#property"]]
        assert rec.designation == " ".join(row["classification"].split())  # 国   宝 -> 国 宝 (NFKC, spaces)
        assert rec.category == " ".join(row["category"].split())
        if row in zero:
            assert rec.lat is None and rec.lon is None
        else:
            assert rec.coord_status == "ok"
            assert rec.lat == pytest.approx(float(row["latitude"])) and rec.lon == pytest.approx(float(row["longitude"]))
    assert {r.designation_level for r in result.records if r.designation.startswith(("国指定", "国 宝"))} == {"national"}
    assert {r.designation_level for r in result.records if r.designation.startswith("国登録")} == {"registered"}
    assert {r.designation_level for r in result.records if r.designation.startswith("市指定")} == {"municipal"}
    assert result.issues == []


def test_takamatsu_xlsx():
    path = shared_data("opendata", "takamatsu_372013", "data_2026-03-17.xlsx")
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    ni, lai, loi = header.index("name"), header.index("latitude"), header.index("longitude")
    named = [r for r in rows[1:] if r[ni] not in (None, "")]
    located = [r for r in named if _float(r[lai]) and _float(r[loi])]
    result = opendata.read_file(path, area=TAKAMATSU)
    assert result.encoding == "xlsx"
    assert len(result.records) == len(named)
    ok = [r for r in result.records if r.coord_status == "ok"]
    assert len(ok) == len(located)
    assert sorted((r.lat, r.lon) for r in ok) == sorted((float(r[lai]), float(r[loi])) for r in located)


def test_taito_shift_jis_with_longitude_first():
    path = shared_data("opendata", "tokyo_taito_iseki_sjis", "13106_Taito-kuSJS.csv")
    utf8 = shared_data("opendata", "tokyo_taito_iseki_sjis", "13106_Taito-ku_coord_utf8.csv")
    with open(utf8, encoding="utf-8-sig", newline="") as fh:
        truth = {r["JASID"]: (float(r["緯度"]), float(r["経度"])) for r in csv.DictReader(fh)}
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really Shift_JIS
    result = opendata.read_file(path)
    assert result.encoding == "cp932"
    assert len(result.records) == len(truth)
    for rec in result.records:
        lat, lon = truth[rec.source_id]
        assert (rec.lat, rec.lon) == pytest.approx((lat, lon)) and rec.coord_status == "ok"
    first = next(r for r in result.records if r.source_id == "13106000100")
    assert first.name == "領玄寺貝塚" and first.name_kana == "りょうげんじかいづか"


def test_taito_coordinates_only_file_needs_a_mapping():
    path = shared_data("opendata", "tokyo_taito_iseki_sjis", "13106_Taito-ku_coord_utf8.csv")
    with pytest.raises(InputError) as err:
        opendata.read_file(path)
    assert err.value.key == "sites.error.no_name_column" and "JASID" in err.value.params["columns"]
    result = opendata.read_file(path, {"name": "JASID"})
    with open(path, encoding="utf-8-sig", newline="") as fh:
        assert len(result.records) == sum(1 for _ in csv.DictReader(fh))


def test_yaizu_geojson_opaque_keys_and_placeholder():
    path = shared_data("opendata", "yaizu_222127", "bunkazai_map.geojson")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    unnamed = [i for i, f in enumerate(features, 1) if not (f["properties"].get("item4") or "").strip()]
    with pytest.raises(InputError):
        opendata.read_file(path)  # item4 ... say nothing without the mapping
    result = opendata.read_file(path, {"name": "item4", "designation": "item6", "category": "item7",
                                       "description": "item8"}, area=YAIZU)
    assert len(result.records) == len(features) - len(unnamed)
    assert [(i.line, i.reason, i.action) for i in result.issues] == [(n, "no name", "skipped") for n in unnamed]
    by_line = {r.data["line"]: r for r in result.records}
    for n, f in enumerate(features, 1):
        if n in by_line:
            lon, lat = f["geometry"]["coordinates"]
            assert (by_line[n].lat, by_line[n].lon) == pytest.approx((lat, lon))
            assert by_line[n].coord_status == "ok"  # every named point lies in Yaizu
    jorakuji = [r for r in result.records if r.name == "常楽寺"]
    assert jorakuji and jorakuji[0].kind == "temple"


def test_yaizu_walk_csv_and_form_export():
    walk = shared_data("opendata", "yaizu_222127", "historyspot__walkingevent.csv")
    with open(walk, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    result = opendata.read_file(walk, area=YAIZU)
    assert [r.name for r in result.records] == [r["名称"] for r in rows]
    assert [r.name_kana for r in result.records] == [r["よみがな"] for r in rows]
    assert all(r.coord_status == "ok" for r in result.records)
    form = shared_data("opendata", "yaizu_222127", "opendata_test_history_form_export.csv")
    result = opendata.read_file(form, {"name": "10:text", "name_kana": "11:text"}, area=YAIZU)
    with open(form, encoding="utf-8-sig", newline="") as fh:
        assert [r.name for r in result.records] == [r["10:text"] for r in csv.DictReader(fh)]


# ------------------------------------------------------------------ encodings and layouts

SUISHO = "NO,名称,名称_カナ,文化財分類,種類,住所,緯度,経度\n1,常楽寺,ジョウラクジ,市指定有形文化財,建造物,焼津市北浜通,34.8712,138.3118\n"
STANDARD = ("全国地方公共団体コード,ID,地方公共団体名,文化財名称,文化財名称_カナ,文化財名称_英字,文化財分類,種類,場所存在地,緯度,経度\n"
            "222127,0001,焼津市,常楽寺,ジョウラクジ,Jorakuji,県指定有形文化財,建造物,焼津市北浜通,34.8712,138.3118\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "euc_jp"])
def test_encodings_detected(tmp_path, encoding):
    path = tmp_path / "list.csv"
    path.write_bytes(SUISHO.encode(encoding))
    result = opendata.read_file(path, area=YAIZU)
    assert result.encoding == encoding
    rec = result.records[0]
    assert (rec.name, rec.name_kana, rec.designation_level, rec.lat) == ("常楽寺", "ジョウラクジ", "municipal", 34.8712)


def test_other_encodings_fall_back_to_detection(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("name,lat,lon\nSão Bento,34.87,138.31\n".encode("utf-16"))
    rec = opendata.read_file(path).records[0]
    assert rec.name == "São Bento" and rec.lat == 34.87


def test_standard_dataset_columns(tmp_path):
    path = tmp_path / "std.csv"
    path.write_text(STANDARD, encoding="utf-8")
    rec = opendata.read_file(path).records[0]
    assert (rec.source_id, rec.name, rec.name_en, rec.municipality, rec.address, rec.designation_level) == \
        ("0001", "常楽寺", "Jorakuji", "焼津市", "焼津市北浜通", "prefectural")


def test_coordinate_checks_and_line_numbers(tmp_path):
    text = ("名称,説明,緯度,経度\n"
            "正常,\"二行に\nわたる説明\",34.8712,138.3118\n"  # lines 2-3
            ",,,\n"  # 4 blank
            "逆,,138.3118,34.8712\n"  # 5 swapped
            "度分秒,,34.5106,138.1800\n"  # 6 34°51'06" 138°18'00" packed into decimals
            "東京,,35.6812,139.7671\n"  # 7 far away
            "ゼロ,,0,0\n"  # 8 unknown
            "空,,,\n"  # 9 unknown, no report
            "文字,,北緯34度,東経138度\n"  # 10 words
            "番兵,,-1.7976931348623157e+308,-1.7976931348623157e+308\n"  # 11 placeholder
            ",説明だけ,34.86,138.32\n"  # 12 no name
            "片方,,34.86,0\n")  # 13
    path = tmp_path / "edge.csv"
    path.write_text(text, encoding="utf-8")
    result = opendata.read_file(path, area=YAIZU)
    recs = {r.name: r for r in result.records}
    issues = {i.line: i for i in result.issues}
    assert recs["正常"].coord_status == "ok" and recs["正常"].data["line"] == 2
    assert issues[4].reason == "blank row" and issues[4].action == "skipped"
    assert (recs["逆"].lat, recs["逆"].lon, recs["逆"].coord_status) == (34.8712, 138.3118, "ok")
    assert "swapped" in issues[5].reason and issues[5].action == "flagged"
    # issue 15.4: the packed degrees-minutes-seconds are converted (the converted point lies in the area, the
    # raw one does not) and the change is reported; the raw values stay in the provenance
    assert recs["度分秒"].coord_status == "ok" and "degrees-minutes-seconds" in issues[6].reason
    assert "34.851667" in issues[6].reason and "138.300000" in issues[6].reason
    assert issues[6].action == "repaired" and recs["度分秒"].data["coordinates_raw"] == ["34.5106", "138.1800"]
    assert (recs["度分秒"].lat, recs["度分秒"].lon) == pytest.approx((34.851667, 138.3))
    assert recs["東京"].coord_status == "suspect" and "outside the event's area" in issues[7].reason
    assert "degrees-minutes-seconds" not in issues[7].reason
    assert recs["ゼロ"].coord_status == "missing" and 8 not in issues
    assert recs["空"].coord_status == "missing" and 9 not in issues
    assert recs["文字"].coord_status == "missing" and "not numbers" in issues[10].reason
    assert recs["番兵"].coord_status == "missing" and "placeholder" in issues[11].reason
    assert issues[12].reason == "no name" and issues[12].action == "skipped"
    assert recs["片方"].lat is None and "one coordinate is 0" in issues[13].reason
    assert len(result.records) == 9


def test_swapped_without_an_area_uses_japan(tmp_path):
    path = tmp_path / "swap.csv"
    path.write_text("name,lat,lng\nA,138.3118,34.8712\nB,95.0,34.0\n", encoding="utf-8")
    result = opendata.read_file(path)
    a, b = result.records
    assert (a.lat, a.lon) == (34.8712, 138.3118)
    assert (b.lat, b.lon) == (34.0, 95.0)  # |lat| > 90 cannot be a latitude


def test_xlsx_with_blank_rows_and_numbers(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([None, None])  # blank line before the header
    ws.append(["名称", "緯度", "経度", "指定区分"])
    ws.append(["常楽寺", 34.8712, 138.3118, "市指定"])
    ws.append([None, None, None, None])
    ws.append(["法華寺", "34.9085", "138.3312", "国指定"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    result = opendata.read_file(path, area=YAIZU)
    assert [(r.name, r.lat, r.data["line"]) for r in result.records] == [("常楽寺", 34.8712, 3), ("法華寺", 34.9085, 5)]
    assert [(i.line, i.reason) for i in result.issues] == [(4, "blank row")]


def test_mapping_errors_are_clear(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("item4,Y,X\n常楽寺,34.87,138.31\n", encoding="utf-8")
    rec = opendata.read_file(path, opendata.parse_map(["name=item4", "lat=Y", "lon=X"])).records[0]
    assert (rec.name, rec.lat, rec.lon) == ("常楽寺", 34.87, 138.31)
    with pytest.raises(InputError) as err:
        opendata.read_file(path, {"name": "item9"})
    assert err.value.key == "sites.error.map_column" and "item4" in err.value.params["columns"]
    with pytest.raises(InputError) as err:
        opendata.read_file(path, {"colour": "item4"})
    assert err.value.key == "sites.error.map_field"
    with pytest.raises(InputError):
        opendata.parse_map(["name"])


def test_damaged_files_are_one_clear_error(tmp_path):
    bad_xlsx = tmp_path / "bad.xlsx"
    bad_xlsx.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError) as err:
        opendata.read_file(bad_xlsx)
    assert err.value.key == "sites.error.xlsx"
    bad_json = tmp_path / "bad.geojson"
    bad_json.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(InputError) as err:
        opendata.read_file(bad_json)
    assert err.value.key == "sites.error.json"
    with pytest.raises(InputError) as err:
        opendata.read_file(tmp_path / "absent.csv")
    assert err.value.key == "sites.error.unreadable"


def test_a_huge_cell_loses_only_its_row(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("名称,説明\n常楽寺,短い\n法華寺," + "あ" * 300_000 + "\n焼津神社,x\n", encoding="utf-8")
    result = opendata.read_file(path)
    assert [r.name for r in result.records] == ["常楽寺", "焼津神社"]
    assert [(i.line, i.action) for i in result.issues] == [(3, "skipped")]
    assert "cannot be read" in result.issues[0].reason


def test_hostile_text_is_kept_as_text(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('名称,説明\n"<script>alert(1)</script>{{削除}}","=HYPERLINK(""http://x"")\x07"\n', encoding="utf-8")
    rec = opendata.read_file(path).records[0]
    assert rec.name == "<script>alert(1)</script>{{削除}}"
    assert rec.description == '=HYPERLINK("http://x")'  # control character dropped, text kept


def test_geojson_polygons_become_their_centre(tmp_path):
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "城跡"},
         "geometry": {"type": "Polygon", "coordinates": [[[138.30, 34.85], [138.32, 34.85], [138.32, 34.87],
                                                          [138.30, 34.87]]]}},
        {"type": "Feature", "properties": {"name": "位置なし"}, "geometry": None}]}
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    a, b = opendata.read_file(path).records
    assert math.isclose(a.lat, 34.86) and math.isclose(a.lon, 138.31)
    assert b.coord_status == "missing"
