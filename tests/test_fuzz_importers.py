"""Fuzzing the municipal open-data importers (CSV, xlsx, GeoJSON): bad rows are reported,
never a crash.

``opendata.read_file`` raises only ``InputError`` (for a file it cannot read at all: not
text, not JSON, not a FeatureCollection, no name column, a damaged xlsx); otherwise every
record it returns is well-formed and every skipped or flagged row is an issue with a line.
Derandomized so a CI failure reproduces; sized to run in seconds.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wikitown.core.errors import InputError
from wikitown.sources import opendata
from wikitown.sources.base import SourceResult

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 120)), deadline=None,
                derandomize=not os.environ.get("FUZZ_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
AREA = opendata.AreaLike(34.867, 138.324, 5.0)

HOSTILE_CELLS = ["1e309", "-1e309", "NaN", "nan", "inf", "-inf", "34°52'", "34°52'30\"", "34.5230", "138.3228",
                 "-1.79e308", "0", "", " ", "\x00", "1,234.5", "３４．８６", "Ⅻ", "1e-400", "0x1F", "１e３",
                 "=cmd|' /C calc'!A0", "}}{{Delete}}", "[[Category:X]]", "<script>alert(1)</script>", "Q1",
                 "Q" + "9" * 30, "\ufeff名称", "名称", "緯度", "経度", "lat", "lon", "x", "y", "name", "id",
                 "a" * 5000, "\u202e\u200b", "\r", "\n", "\"", ",", ";"]
cell = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=20),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str))
HEADER = st.lists(st.one_of(st.sampled_from(["名称", "緯度", "経度", "文化財分類", "所在地", "ID", "name", "lat",
                                             "lon", "latitude", "longitude", "wikidata", "x", "y", ""]),
                            st.text(max_size=8)), min_size=0, max_size=8)


def check_result(result) -> None:
    assert isinstance(result, SourceResult)
    for rec in result.records:
        assert rec.name and isinstance(rec.name, str)
        assert (rec.lat is None) == (rec.lon is None)
        if rec.lat is not None:
            assert math.isfinite(rec.lat) and math.isfinite(rec.lon)
            assert -90 <= rec.lat <= 90 and -180 <= rec.lon <= 180
        assert rec.coord_status in ("ok", "missing", "suspect")
        assert rec.wikidata_id == "" or rec.wikidata_id.startswith("Q")
        json.dumps(rec.data, allow_nan=False)  # stored as JSON in the store
        for value in (rec.name, rec.address, rec.description, rec.source_id):
            assert "\x00" not in value
    for issue in result.issues:
        assert isinstance(issue.line, int) and issue.reason
    ids = [rec.source_id for rec in result.records]
    assert len(ids) == len(set(ids))


def read(path, **kw):
    try:
        result = opendata.read_file(path, area=AREA, **kw)
    except InputError as exc:
        assert exc.key.startswith("sites.error."), exc.key
        assert exc.message("ja") and exc.message("en")
        return None
    check_result(result)
    return result


# --------------------------------------------------------------------------------------------
# CSV


def to_csv(header, rows) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


ENCODINGS = ["utf-8", "utf-8-sig", "cp932", "euc_jp", "utf-16", "latin-1", "iso2022_jp", "gb18030"]


@FUZZ
@given(st.binary(max_size=3000))
def test_csv_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("csv") / "sites.csv"
    path.write_bytes(data)
    read(path)


@FUZZ
@given(HEADER, st.lists(st.lists(cell, max_size=10), max_size=12), st.sampled_from(ENCODINGS),
       st.sampled_from(["", "\ufeff"]))
def test_csv_random_columns_rows_and_encodings(tmp_path_factory, header, rows, encoding, bom):
    text = bom + to_csv(header, rows)
    path = tmp_path_factory.mktemp("csv") / "sites.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    read(path)


@FUZZ
@given(st.lists(st.lists(cell, max_size=6), min_size=1, max_size=10),
       st.dictionaries(st.sampled_from(opendata.FIELDS + ("nofield",)), st.sampled_from(["名称", "緯度", "x", "zz"]),
                       max_size=3))
def test_csv_known_header_with_ragged_rows_and_mappings(tmp_path_factory, rows, mapping):
    text = to_csv(["名称", "緯度", "経度", "所在地", "ID"], rows)
    path = tmp_path_factory.mktemp("csv") / "sites.csv"
    path.write_text(text, encoding="utf-8")
    read(path, mapping=mapping)


@FUZZ
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=10))
def test_csv_hostile_coordinates_are_checked(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "sites.csv"
    path.write_text(to_csv(["名称", "緯度", "経度"], [("寺" + str(i), lat, lon) for i, (_, lat, lon) in
                                                      enumerate(rows)]), encoding="utf-8")
    result = read(path)
    assert result is not None
    # each row is either a record or an issue, never silently lost
    assert len(result.records) + len([i for i in result.issues if i.action == "skipped"]) == len(rows)


# --------------------------------------------------------------------------------------------
# GeoJSON

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=10), st.sampled_from(HOSTILE_CELLS))
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4) |
                          st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
coordinate = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**30, 10**30),
                       st.sampled_from([10**400, -10**400, True]),
                       st.sampled_from([34.867, 138.324, 0, -1.79e308, 1e308]), json_scalar)
position = st.lists(coordinate, min_size=0, max_size=4)
geometry = st.one_of(
    json_value,
    st.fixed_dictionaries({"type": st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint",
                                                    "GeometryCollection", "Nonsense", ""]),
                           "coordinates": st.one_of(position, st.lists(position, max_size=4),
                                                    st.lists(st.lists(position, max_size=3), max_size=3),
                                                    json_value)}),
    st.fixed_dictionaries({"type": st.just("GeometryCollection"), "geometries": st.lists(json_value, max_size=3)}))
properties = st.one_of(json_value, st.dictionaries(st.sampled_from(["名称", "name", "緯度", "経度", "lat", "lon",
                                                                    "__lat", "__lon", "ID", "wikidata", "所在地"]),
                                                   json_value, max_size=6))
feature = st.one_of(json_value, st.fixed_dictionaries({"type": st.just("Feature"), "properties": properties,
                                                       "geometry": geometry}))


@FUZZ
@given(st.one_of(json_value, st.fixed_dictionaries({"type": st.just("FeatureCollection"),
                                                    "features": st.lists(feature, max_size=8)})))
def test_geojson_of_any_shape(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("geo") / "sites.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    read(path)


@FUZZ
@given(st.binary(max_size=2000))
def test_geojson_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("geo") / "sites.json"
    path.write_bytes(data)
    read(path)


# --------------------------------------------------------------------------------------------
# xlsx

xlsx_cell = st.one_of(cell, st.none(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
                      st.booleans(), st.datetimes(), st.dates())


@settings(FUZZ, max_examples=max(10, FUZZ.max_examples // 4))
@given(HEADER.map(lambda h: h or ["名称"]), st.lists(st.lists(xlsx_cell, max_size=8), max_size=6))
def test_xlsx_random_cells(tmp_path_factory, header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [header] + rows:
        sheet.append([_xlsx_safe(v) for v in row])
    path = tmp_path_factory.mktemp("xlsx") / "sites.xlsx"
    book.save(path)
    read(path)


def _xlsx_safe(value):
    # openpyxl refuses control characters in cells itself; a file with them cannot be made
    if isinstance(value, str):
        return opendata._CONTROL_RE.sub("", value)
    return value


@FUZZ
@given(st.binary(max_size=2000), st.booleans())
def test_xlsx_random_bytes(tmp_path_factory, data, zip_magic):
    path = tmp_path_factory.mktemp("xlsx") / "sites.xlsx"
    path.write_bytes((b"PK\x03\x04" if zip_magic else b"") + data)
    read(path)


@pytest.mark.parametrize("seed", range(3))
def test_xlsx_damaged_real_file(tmp_path, seed):
    import random

    book = openpyxl.Workbook()
    book.active.append(["名称", "緯度", "経度"])
    book.active.append(["常楽寺", 34.86, 138.32])
    buf = io.BytesIO()
    book.save(buf)
    data = bytearray(buf.getvalue())
    rng = random.Random(seed)
    for _ in range(20):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path = tmp_path / "sites.xlsx"
    path.write_bytes(bytes(data))
    read(path)


# --------------------------------------------------------------------------------------------
# regressions found by the fuzzer


def test_latitude_181_longitude_1_is_impossible_not_swapped_to_longitude_181():
    """181, 1.0 was 'swapped' to 1.0, 181: a record with an impossible longitude."""
    assert opendata.check_coordinates("181", "1.0") == (None, None, "missing", "latitude 181 is impossible")
    assert opendata.check_coordinates("181", "1.0", AREA)[:3] == (None, None, "missing")
    assert opendata.check_coordinates("138.32", "34.86")[:3] == (34.86, 138.32, "ok")  # a real swap still swaps


def test_latitude_91_longitude_91_is_impossible_not_suspect():
    """91, 91 was kept as a 'suspect' record with latitude 91."""
    assert opendata.check_coordinates("91", "91", AREA) == (None, None, "missing", "latitude 91 is impossible")
    assert opendata.check_coordinates("-95.5", "100")[:3] == (None, None, "missing")


def _geojson(tmp_path, text: str):
    path = tmp_path / "sites.geojson"
    path.write_text(text, encoding="utf-8")
    return path


def _feature(geometry: str, props: str = '{"name": "常楽寺"}') -> str:
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": %s, "geometry": %s}]}'
            % (props, geometry))


@pytest.mark.parametrize("geometry", ['{"type": "Point", "coordinates": [1%s, 34.8]}' % ("0" * 400),
                                      '{"type": "LineString", "coordinates": [[1%s, 34.8], [138, 34]]}' % ("0" * 400)],
                         ids=["point", "linestring"])
def test_geojson_integer_of_400_digits_is_a_placeholder_not_an_overflow(tmp_path, geometry):
    """float(10**400) raised OverflowError (JSON integers have no size limit)."""
    result = read(_geojson(tmp_path, _feature(geometry)))
    assert [(r.name, r.lat, r.coord_status) for r in result.records] == [("常楽寺", None, "missing")]
    assert "placeholder" in result.issues[0].reason


def test_geojson_integer_of_5000_digits_is_not_valid_json(tmp_path):
    """json.loads raised ValueError (Python's 4300-digit limit), not JSONDecodeError."""
    with pytest.raises(InputError) as err:
        opendata.read_file(_geojson(tmp_path, _feature('{"type": "Point", "coordinates": [1, 2]}',
                                                       '{"name": 1%s}' % ("0" * 5000))))
    assert err.value.key == "sites.error.json"


def test_geojson_nested_100000_deep_is_not_valid_json(tmp_path):
    """json.loads raised RecursionError."""
    with pytest.raises(InputError) as err:
        opendata.read_file(_geojson(tmp_path, _feature('{"type": "Polygon", "coordinates": %s}'
                                                       % ("[" * 100_000 + "]" * 100_000))))
    assert err.value.key == "sites.error.json"


def test_geojson_polygon_900_deep_is_its_point(tmp_path):
    result = read(_geojson(tmp_path, _feature('{"type": "Polygon", "coordinates": %s}'
                                              % ("[" * 900 + "138.32, 34.86" + "]" * 900))))
    assert [(r.lat, r.lon) for r in result.records] == [(34.86, 138.32)]


def test_geojson_true_as_a_coordinate_is_not_the_number_1(tmp_path):
    result = read(_geojson(tmp_path, _feature('{"type": "Point", "coordinates": [true, 34.86]}')))
    assert result.records[0].lat is None and "not numbers" in result.issues[0].reason
