"""Municipal open data (文化財一覧): CSV, xlsx and GeoJSON, in whatever layout a town publishes.

* Encodings: UTF-8, UTF-8 with BOM, Shift_JIS (cp932) and EUC-JP are told apart automatically.
* Columns: the 推奨データセット 文化財一覧 (名称, 名称_カナ, 文化財分類 ...), the newer
  自治体標準オープンデータセット (文化財名称, 場所存在地 ...), their English-key variants
  (name, fullNameInKana, latitude ...) and common synonyms; anything else through an
  explicit mapping (``{"name": "item4"}``, ``--map name=item4`` on the command line).
* Text is kept as the file has it, byte for byte (names, 説明, 所有者等 with their line breaks,
  full-width brackets, digits and spaces); only matching keys are normalised (``Site.name_key``).
* Coordinates are checked row by row: blank or 0 is unknown; a placeholder such as
  -1.79e308 is unknown; latitude and longitude given the wrong way round are swapped back;
  text that had to be repaired to be read (``035.766250``, ``", 139.451301"``) is reported;
  a point outside the event's area is kept but marked ``suspect``, unless it is
  degrees-minutes-seconds packed into decimals (34.5230 for 34°52'30") whose conversion lies
  in the area: then the conversion is used and the raw value kept in the provenance.
* Each site's municipality comes from its own column, else its address; its kind from the
  file's category column, else (marked as a guess) from its name.
* Names with characters lost upstream (``森?外遺跡``, U+FFFD) are kept and flagged.
* Blank rows are skipped; every skipped, flagged or repaired row is reported with its line number.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from wikitown.core.errors import InputError
from wikitown.core.geo import haversine_m
from wikitown.core.normalize import nfkc
from wikitown.core.places import municipality_from_address
from wikitown.core.site import Site
from wikitown.sources.base import RowIssue, SourceResult
from wikitown.sources.designations import designation_level, kind_of

# A town's list is kilobytes and a prefecture's a few megabytes: refuse what cannot be one, before
# reading it (rows are streamed, never the whole file in memory; see _csv_rows / _xlsx_rows).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_JSON_BYTES = 20 * 1024 * 1024  # GeoJSON is parsed whole: a tighter bound
MAX_ROWS = 100_000
MAX_COLUMNS = 500
_SAMPLE_BYTES = 1024 * 1024  # what the encoding is told from
FIELDS = ("name", "name_kana", "name_en", "designation", "category", "municipality", "address", "place",
          "description", "owner", "lat", "lon", "source_id", "image", "wikidata_id")

# Site field -> column names seen in real files, most specific first (compared after NFKC,
# case-insensitively).
SYNONYMS: dict[str, list[str]] = {
    "name": ["文化財名称", "名称", "遺跡名", "名前", "施設名", "name", "title", "名称_通称"],
    "name_kana": ["文化財名称_カナ", "名称_カナ", "よみがな", "ふりがな", "フリガナ", "ヨミガナ", "読み",
                  "fullNameInKana", "name_kana", "kana"],
    "name_en": ["文化財名称_英字", "名称_英語", "名称_英字", "fullNameInRomaji", "name_en"],
    "designation": ["文化財分類", "指定区分", "指定", "classification", "designation"],
    "category": ["種類", "分類", "種別", "category", "type"],
    "municipality": ["地方公共団体名", "市区町村名", "city", "municipality"],
    "address": ["場所存在地", "住所", "所在地", "所在地_連結表記", "address"],
    "place": ["場所名称", "placeName"],
    "description": ["説明", "内容", "概要", "summary", "description"],
    "owner": ["所有者等", "所有者", "管理者", "所有者・管理者", "owner"],
    "lat": ["緯度", "lat", "latitude", "y"],
    "lon": ["経度", "lon", "lng", "long", "longitude", "x"],
    "source_id": ["ID", "JASID", "NO", "No.", "番号", "identification", "#property", "id"],
    "image": ["画像", "image"],
    "wikidata_id": ["wikidata", "wikidata_id"],
}

# Japan, for telling swapped coordinates apart when no event area is given.
_JAPAN = (20.0, 122.0, 46.0, 154.0)


@dataclass
class AreaLike:
    lat: float
    lon: float
    radius_km: float


# ---------------------------------------------------------------------------------------------
# text and encodings


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value) -> str:
    """NFKC text with control characters removed (hostile files are just text)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return _CONTROL_RE.sub("", nfkc(value))


def original(value) -> str:
    """A cell's text as the file has it (line breaks, full-width characters and spaces kept),
    less control characters other than tab and line breaks."""
    if value is None:
        return ""
    if isinstance(value, float):
        return clean(value)
    if not isinstance(value, str):
        value = str(value)
    return _CONTROL_RE.sub("", value)


# Characters a bad encoding upstream left where a character was lost: 森?外遺跡, 山田宗?墓.
_DAMAGED_RE = re.compile("[?？\ufffd〓]")


def damaged_name(name: str) -> bool:
    return bool(_DAMAGED_RE.search(name or ""))


def decode_bytes(data: bytes) -> tuple[str, str]:
    """The text of a file and the encoding it was in: UTF-8 (with or without BOM) or cp932."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Japanese lists come in Shift_JIS (cp932) and, from older systems, EUC-JP; a general
    # detector guesses Korean for short EUC-JP files, so these two are tried first.
    for encoding in ("cp932", "euc_jp"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    # A guess that yields control characters is binary read as text (UTF-16 from a stray BOM).
    if best is None or re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", str(best)):
        raise InputError("the file is not text in a known encoding", key="sites.error.encoding")
    return str(best), best.encoding


# ---------------------------------------------------------------------------------------------
# columns


def _key(column) -> str:
    return nfkc(column).lower().lstrip("\ufeff")


def pick_columns(columns: list[str], mapping: dict[str, str] | None = None,
                 filled: set[str] | None = None) -> dict[str, str]:
    """Which column holds each site field. An explicit mapping wins and must name real columns.
    Among synonyms, a column with values (``filled``) beats an empty one (takamatsu's
    ``identification`` is empty, its ``#property`` is the id)."""
    mapping = dict(mapping or {})
    by_key = {}
    for c in columns:
        by_key.setdefault(_key(c), c)
    chosen: dict[str, str] = {}
    for field_name, column in mapping.items():
        if field_name not in FIELDS:
            raise InputError(f"unknown field {field_name!r} in the column mapping",
                             key="sites.error.map_field", field=field_name, fields=", ".join(FIELDS))
        real = by_key.get(_key(column))
        if real is None:
            raise InputError(f"the column {column!r} is not in the file", key="sites.error.map_column",
                             column=column, columns=", ".join(map(str, columns)))
        chosen[field_name] = real
    used = set(chosen.values())
    for field_name, candidates in SYNONYMS.items():
        if field_name in chosen:
            continue
        present = [by_key[_key(c)] for c in candidates if _key(c) in by_key and by_key[_key(c)] not in used]
        if filled is not None:
            present.sort(key=lambda c: c not in filled)  # stable: keeps the synonym order otherwise
        if present:
            chosen[field_name] = present[0]
            used.add(present[0])
    return chosen


def parse_map(items: list[str] | None) -> dict[str, str]:
    """``["name=item4", "lat=Y"]`` (the command line's --map) as a mapping."""
    mapping = {}
    for item in items or []:
        field_name, sep, column = item.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise InputError(f"--map needs FIELD=COLUMN, not {item!r}", key="sites.error.map_syntax",
                             item=item)
        mapping[field_name.strip()] = column.strip()
    return mapping


# ---------------------------------------------------------------------------------------------
# coordinates


def _number(text) -> float | None:
    if text is None:
        return None
    if isinstance(text, bool):  # JSON true/false is not a coordinate
        raise ValueError("not a number")
    if isinstance(text, int):
        # JSON integers have no size limit; one too big for a float is a placeholder, like 1e309
        return float(text) if abs(text) < 10**308 else (math.inf if text > 0 else -math.inf)
    if isinstance(text, float):
        return text
    text = nfkc(text).replace(",", "")
    if not text:
        return None
    return float(text)  # ValueError for words: the caller reports it


_PLAIN_NUMBER_RE = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")


def needs_repair(raw) -> bool:
    """A coordinate cell that was read only after repairing its text (leading zeros, commas,
    full-width digits, stray characters): worth telling the organizer."""
    if not isinstance(raw, str):
        return False
    text = raw.strip()
    return bool(text) and not _PLAIN_NUMBER_RE.fullmatch(text)


def packed_dms(value: float) -> float | None:
    """34.5230 read as 34°52'30" (a common mistake in municipal files); None if it cannot be."""
    sign = -1 if value < 0 else 1
    value = abs(value)
    deg = int(value)
    rest = round((value - deg) * 10000, 4)  # mmss.ss
    minutes, seconds = int(rest // 100), rest % 100
    if minutes >= 60 or seconds >= 60:
        return None
    return sign * (deg + minutes / 60 + seconds / 3600)


def in_area(lat: float, lon: float, area) -> bool:
    return haversine_m(lat, lon, area.lat, area.lon) <= area.radius_km * 1000


def _in_japan(lat: float, lon: float) -> bool:
    return _JAPAN[0] <= lat <= _JAPAN[2] and _JAPAN[1] <= lon <= _JAPAN[3]


def check_coordinates(lat_raw, lon_raw, area=None) -> tuple[float | None, float | None, str, str]:
    """(lat, lon, coord_status, problem). ``problem`` is "" when nothing needs reporting.
    (Diagnosis only: :func:`read_coordinates` applies the degrees-minutes-seconds fix.)"""
    try:
        lat, lon = _number(lat_raw), _number(lon_raw)
    except ValueError:
        return None, None, "missing", f"coordinates are not numbers ({clean(lat_raw)!r}, {clean(lon_raw)!r})"
    if lat is None and lon is None:
        return None, None, "missing", ""
    if lat is None or lon is None:
        return None, None, "missing", "only one of latitude and longitude is given"
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 1e6 or abs(lon) > 1e6:
        return None, None, "missing", f"placeholder coordinates ({lat:g}, {lon:g}) mean unknown"
    if lat == 0 and lon == 0:
        return None, None, "missing", ""
    if lat == 0 or lon == 0:
        return None, None, "missing", f"one coordinate is 0 ({lat:g}, {lon:g})"
    swapped = False
    if abs(lat) > 90 and abs(lon) <= 90:
        lat, lon, swapped = lon, lat, True
        if abs(lon) > 180:  # 181, 1: not a swap, just impossible
            return None, None, "missing", f"latitude {lon:g} is impossible"
    elif abs(lon) > 180:
        return None, None, "missing", f"longitude {lon:g} is impossible"
    elif abs(lat) > 90:  # 91, 91: too big for a latitude either way round
        return None, None, "missing", f"latitude {lat:g} is impossible"
    elif area is not None and not in_area(lat, lon, area) and in_area(lon, lat, area):
        lat, lon, swapped = lon, lat, True
    elif area is None and not _in_japan(lat, lon) and _in_japan(lon, lat):
        lat, lon, swapped = lon, lat, True
    note = "latitude and longitude were the wrong way round; swapped" if swapped else ""
    if area is not None and not in_area(lat, lon, area):
        km = haversine_m(lat, lon, area.lat, area.lon) / 1000
        reason = f"outside the event's area ({km:.1f} km from its centre)"
        dlat, dlon = packed_dms(lat), packed_dms(lon)
        if dlat is not None and dlon is not None and in_area(dlat, dlon, area):
            reason += (f"; looks like degrees-minutes-seconds packed into decimals, "
                       f"which would be {dlat:.6f}, {dlon:.6f}")
        return lat, lon, "suspect", "; ".join(p for p in (note, reason) if p)
    return lat, lon, "ok", note


@dataclass
class Coordinates:
    lat: float | None
    lon: float | None
    status: str
    issues: list[RowIssue]
    raw: tuple = ()  # (lat, lon) as the file has them, when they were changed


def read_coordinates(line: int, lat_raw, lon_raw, area=None, fix_dms: bool = False) -> Coordinates:
    """A row's coordinates with every repair and doubt as a RowIssue.

    Degrees-minutes-seconds packed into decimals are converted when the converted point lies
    in the event's area and the raw one does not, or for every row that can be read so when
    ``fix_dms`` is set (``sites import --fix-dms``)."""
    issues: list[RowIssue] = []
    repaired = [str(v).strip() for v in (lat_raw, lon_raw) if needs_repair(v)]
    lat, lon, status, problem = check_coordinates(lat_raw, lon_raw, area)
    if repaired and lat is not None:
        issues.append(RowIssue(line, f"coordinate text repaired to be read ({', '.join(map(repr, repaired))} "
                                     f"read as {lat:.6f}, {lon:.6f})", "repaired", "coords_repaired",
                               {"raw": ", ".join(repaired), "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"}))
    if lat is None:
        if problem:
            issues.append(RowIssue(line, problem, "flagged", "coords_unusable", {"reason": problem}))
        return Coordinates(None, None, status, issues)
    dlat, dlon = packed_dms(lat), packed_dms(lon)
    convertible = dlat is not None and dlon is not None and (dlat, dlon) != (lat, lon)
    if convertible and (fix_dms or (status == "suspect" and area is not None and in_area(dlat, dlon, area))):
        new_status = "ok" if area is None or in_area(dlat, dlon, area) else "suspect"
        raw = ", ".join(str(v).strip() for v in (lat_raw, lon_raw))  # the file's cells, as written
        reason = f"degrees-minutes-seconds packed into decimals ({raw}) converted to {dlat:.6f}, {dlon:.6f}"
        if "swapped" in problem:
            issues.append(RowIssue(line, "latitude and longitude were the wrong way round; swapped", "flagged",
                                   "coords_swapped"))
        issues.append(RowIssue(line, reason, "repaired", "dms_fixed",
                               {"raw": raw, "lat": f"{dlat:.6f}", "lon": f"{dlon:.6f}"}))
        return Coordinates(dlat, dlon, new_status, issues, (str(lat_raw), str(lon_raw)))
    if problem:
        code = "coords_swapped" if status == "ok" else "coords_suspect"
        issues.append(RowIssue(line, problem, "flagged", code, {"reason": problem}))
    return Coordinates(lat, lon, status, issues)


# ---------------------------------------------------------------------------------------------
# rows -> sites


def site_from_row(line: int, row: dict, cols: dict[str, str], source: str, area=None,
                  fix_dms: bool = False) -> tuple[Site | None, list[RowIssue]]:
    """One row as a Site (None for a row that holds no site) and what was found in it."""
    values = {c: v for c, v in row.items() if clean(v)}
    if not values:
        return None, [RowIssue(line, "blank row", code="blank")]

    def text(f):  # the file's own text
        return original(row.get(cols[f])) if f in cols else ""

    def key(f):  # a classification, compared and ranked: normalised
        return clean(row.get(cols[f])) if f in cols else ""

    name = text("name")
    if not nfkc(name):
        return None, [RowIssue(line, "no name", code="no_name")]
    coords = read_coordinates(line, row.get(cols["lat"]) if "lat" in cols else None,
                              row.get(cols["lon"]) if "lon" in cols else None, area, fix_dms)
    issues = list(coords.issues)
    if damaged_name(name):
        issues.append(RowIssue(line, f"the name {name!r} has characters lost upstream (? or U+FFFD)", "flagged",
                               "name_damaged", {"name": name}))
    designation, category = key("designation"), key("category")
    address = text("address") or text("place")
    municipality, municipality_origin = key("municipality"), "field"
    if not municipality:
        municipality = municipality_from_address(address)
        municipality_origin = "address" if municipality else ""
    kind, kind_origin = kind_of(category, nfkc(name))
    wikidata_id = key("wikidata_id")
    data = {"line": line, **{str(k): original(v) for k, v in values.items()}}
    if coords.raw:
        data["coordinates_raw"] = list(coords.raw)
    site = Site(
        source=source, source_id="", name=name, name_kana=text("name_kana"), name_en=text("name_en"),
        designation=designation, designation_level=designation_level(designation), category=category,
        kind=kind, kind_origin=kind_origin, municipality=municipality, municipality_origin=municipality_origin,
        address=address, description=text("description"), owner=text("owner"), lat=coords.lat, lon=coords.lon,
        coord_status=coords.status, wikidata_id=wikidata_id if re.fullmatch(r"Q\d+", wikidata_id) else "",
        issues=[{"code": i.code, "line": line} for i in issues if i.code], data=data)
    return site, issues


def records_from_rows(rows, columns: list[str], source: str, mapping: dict[str, str] | None = None,
                      area=None, fix_dms: bool = False) -> SourceResult:
    """``rows`` yields (line number, {column: value}). Builds sites and per-row issues."""
    rows = list(rows)
    filled = {c for _line, row in rows for c, v in row.items() if clean(v)}
    cols = pick_columns(columns, mapping, filled)
    if "name" not in cols:
        raise InputError("no column holds the sites' names", key="sites.error.no_name_column",
                         columns=", ".join(map(str, columns)))
    result = SourceResult(source)
    seen_ids: set[str] = set()
    for line, row in rows:
        site, issues = site_from_row(line, row, cols, source, area, fix_dms)
        result.issues.extend(issues)
        if site is None:
            continue
        source_id = clean(row.get(cols["source_id"])) if "source_id" in cols else ""
        source_id = source_id or f"line{line}"
        if source_id in seen_ids:  # a file's own id used twice: keep both rows apart
            source_id = f"{source_id}@line{line}"
        seen_ids.add(source_id)
        site.source_id = source_id
        result.records.append(site)
    return result


def _too_many_rows(_count: int = 0):
    return InputError(f"more than {MAX_ROWS} rows", key="security.sites.too_many_rows", max=MAX_ROWS)


def _cap_columns(record, line: int) -> list:
    """The row's cells up to ``MAX_COLUMNS``; empty cells past it (spreadsheets pad) are dropped."""
    if len(record) <= MAX_COLUMNS:
        return list(record)
    if any(v not in (None, "") for v in record[MAX_COLUMNS:]):
        raise InputError(f"line {line}: more than {MAX_COLUMNS} columns", key="security.sites.too_many_columns",
                         line=line, max=MAX_COLUMNS)
    return list(record[:MAX_COLUMNS])


def file_encoding(path: Path) -> str:
    """The encoding of a text file, told from its first megabyte (see :func:`decode_bytes`)."""
    with open(path, "rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
        whole = len(sample) < _SAMPLE_BYTES
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    import codecs

    for encoding in ("utf-8", "cp932", "euc_jp"):
        try:
            # final=False: a character cut at the sample's end is not an error
            codecs.getincrementaldecoder(encoding)().decode(sample, final=whole)
            return encoding
        except UnicodeDecodeError:
            pass
    return decode_bytes(sample)[1]


def _csv_rows(stream) -> tuple[list[str], list, list[RowIssue]]:
    """Rows of a CSV text stream, read one at a time (at most ``MAX_ROWS``)."""
    reader = csv.reader(stream)
    header: list[str] | None = None
    rows, issues = [], []
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a cell over the csv module's limit: that row only
            issues.append(RowIssue(start, f"the row cannot be read ({exc})"))
            start = reader.line_num + 1
            continue
        line = start
        start = reader.line_num + 1
        if len(rows) + len(issues) >= MAX_ROWS:
            raise _too_many_rows(MAX_ROWS)
        record = _cap_columns(record, line)
        if header is None:
            if not any(c.strip() for c in record):
                continue
            header = [c.strip() for c in record]
            continue
        rows.append((line, {header[i] if i < len(header) else f"column{i + 1}": v
                            for i, v in enumerate(record)}))
    return header or [], rows, issues


def _xlsx_rows(path: Path) -> tuple[list[str], list]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"not a readable xlsx file: {type(exc).__name__}", key="sites.error.xlsx",
                         reason=type(exc).__name__) from None
    try:
        sheet = book.worksheets[0]
        # The sheet's declared size (<dimension ref="A1:XFD1048576"/>) is the file's word, and
        # read-only mode pads every row to it: 17 billion empty cells from 4.7 KB. Read only the
        # cells the file really holds.
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        header: list[str] | None = None
        rows = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), 1):
            # Row numbers the file skips come as empty rows (reported as blank, like the old reader
            # did); a file that skips to row 1048576 is over the cap and refused, not padded out.
            if number > MAX_ROWS:
                raise _too_many_rows(MAX_ROWS)
            record = _cap_columns(record, number)
            if header is None:
                if not any(v not in (None, "") for v in record):
                    continue
                header = [clean(v) or f"column{i + 1}" for i, v in enumerate(record)]
                continue
            rows.append((number, {header[i] if i < len(header) else f"column{i + 1}": v
                                  for i, v in enumerate(record)}))
    except InputError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise InputError(f"not a readable xlsx file: {type(exc).__name__}", key="sites.error.xlsx",
                         reason=type(exc).__name__) from None
    finally:
        book.close()
    return header or [], rows


def _geojson_rows(text: str) -> tuple[list[str], list]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (line {exc.lineno})", key="sites.error.json", line=exc.lineno) from None
    except (ValueError, RecursionError):  # an integer over 4300 digits; nesting deeper than Python's stack
        raise InputError("not valid JSON", key="sites.error.json", line="?") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise InputError("not a GeoJSON FeatureCollection", key="sites.error.geojson")
    if len(features) > MAX_ROWS:
        raise _too_many_rows(len(features))
    columns: dict[str, None] = {}
    rows = []
    for number, feature in enumerate(features, 1):
        if not isinstance(feature, dict):
            rows.append((number, {}))
            continue
        props = feature.get("properties") or {}
        props = {str(k): v for k, v in props.items()} if isinstance(props, dict) else {}
        for k in props:
            columns.setdefault(k)
        lon, lat = _geometry_point(feature.get("geometry"))
        props["__lat"], props["__lon"] = lat, lon
        rows.append((number, props))
    return list(columns) + ["__lat", "__lon"], rows


def _geometry_point(geometry) -> tuple:
    """A Point's coordinates, or the mean of any other geometry's positions."""
    if not isinstance(geometry, dict):
        return None, None
    coords = geometry.get("coordinates")
    if geometry.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2:
        return coords[0], coords[1]
    flat: list = []
    stack = [coords]
    while stack:  # not recursive: the nesting is the file's to choose
        c = stack.pop()
        if not isinstance(c, list):
            continue
        if len(c) >= 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in c[:2]):
            flat.append((_number(c[0]), _number(c[1])))
        else:
            stack.extend(reversed(c))
    if not flat:
        return None, None
    # math.fsum: no OverflowError on huge values (it gives inf, which is then a placeholder)
    try:
        return math.fsum(p[0] for p in flat) / len(flat), math.fsum(p[1] for p in flat) / len(flat)
    except OverflowError:
        return math.inf, math.inf


def read_file(path, mapping: dict[str, str] | None = None, source: str | None = None,
              area=None, fix_dms: bool = False) -> SourceResult:
    """Read one municipal file (by its extension: .csv/.txt, .xlsx, .geojson/.json)."""
    path = Path(path)
    source = source or f"opendata:{path.name}"
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}", key="sites.error.unreadable",
                         file=path.name, reason=exc.strerror or "") from None
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path.name} is too large", key="sites.error.too_large", file=path.name,
                         mb=MAX_FILE_BYTES // 2**20)
    suffix = path.suffix.lower()
    mapping = dict(mapping or {})
    if suffix == ".xlsx":
        columns, rows = _xlsx_rows(path)
        result = records_from_rows(rows, columns, source, mapping, area, fix_dms)
        result.encoding = "xlsx"
        return result
    if suffix in (".geojson", ".json"):
        if size > MAX_JSON_BYTES:
            raise InputError(f"{path.name} is too large", key="sites.error.too_large", file=path.name,
                             mb=MAX_JSON_BYTES // 2**20)
        text, encoding = decode_bytes(path.read_bytes())
        columns, rows = _geojson_rows(text)
        # The geometry is the point unless a mapping names coordinate columns.
        mapping.setdefault("lat", "__lat")
        mapping.setdefault("lon", "__lon")
        result = records_from_rows(rows, columns, source, mapping, area, fix_dms)
        for rec in result.records:
            rec.data.pop("__lat", None)
            rec.data.pop("__lon", None)
    else:
        encoding = file_encoding(path)
        with open(path, encoding=encoding, errors="replace", newline="") as stream:
            columns, rows, unreadable = _csv_rows(stream)
        result = records_from_rows(rows, columns, source, mapping, area, fix_dms)
        result.issues = sorted(result.issues + unreadable, key=lambda i: i.line)
    result.encoding = encoding
    return result
