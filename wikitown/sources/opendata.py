"""Municipal open data (文化財一覧): GeoJSON and CSV files with a column mapping.

(Issue #3 extends this module: encodings, xlsx, the standard column sets,
coordinate checks with per-row reports.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from wikitown.geo import valid_coord
from wikitown.normalize import nfkc
from wikitown.sources.base import RowIssue, SiteRecord, SourceResult

# Site field -> column names seen in real files, most specific first.
SYNONYMS = {
    "name": ["文化財名称", "名称", "name", "title"],
    "name_kana": ["文化財名称_カナ", "名称_カナ", "よみがな", "name_kana"],
    "designation": ["指定区分", "文化財分類", "designation"],
    "category": ["種類", "分類", "category"],
    "address": ["場所存在地", "所在地_連結表記", "住所", "address"],
    "description": ["説明", "内容", "description"],
    "lat": ["緯度", "lat", "latitude"],
    "lon": ["経度", "lon", "lng", "longitude"],
    "source_id": ["ID", "NO", "id"],
}


def _pick(columns, field: str, mapping: dict[str, str]) -> str | None:
    if field in mapping:
        return mapping[field]
    lowered = {str(c).strip().lower(): c for c in columns}
    for cand in SYNONYMS.get(field, []):
        if cand.lower() in lowered:
            return lowered[cand.lower()]
    return None


def _records_from_rows(rows: list[dict], source: str, mapping: dict[str, str], first_line: int) -> SourceResult:
    result = SourceResult(source)
    columns = list(rows[0].keys()) if rows else []
    cols = {f: _pick(columns, f, mapping) for f in SYNONYMS}
    for offset, row in enumerate(rows):
        line = first_line + offset
        get = lambda f: nfkc(row.get(cols[f])) if cols[f] else ""  # noqa: E731
        name = get("name")
        if not name:
            if any(nfkc(v) for v in row.values()):
                result.issues.append(RowIssue(line, "no name"))
            continue
        lat, lon, status = None, None, "missing"
        try:
            lat, lon = float(get("lat") or "nan"), float(get("lon") or "nan")
            if valid_coord(lat, lon):
                status = "ok"
            else:
                lat = lon = None
        except ValueError:
            result.issues.append(RowIssue(line, "coordinates are not numbers", "flagged"))
        result.records.append(SiteRecord(
            source=source, source_id=get("source_id") or str(line), name=name, name_kana=get("name_kana"),
            designation=get("designation"), category=get("category"), address=get("address"),
            description=get("description"), lat=lat, lon=lon, coord_status=status,
            data={str(k): v for k, v in row.items() if v is not None and v == v}))
    return result


def read_geojson(path: Path, mapping: dict[str, str] | None = None, source: str | None = None) -> SourceResult:
    data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    rows = []
    for feature in data.get("features", []):
        props = dict(feature.get("properties") or {})
        geom = feature.get("geometry") or {}
        if geom.get("type") == "Point" and len(geom.get("coordinates") or []) >= 2:
            props.setdefault("lon", geom["coordinates"][0])
            props.setdefault("lat", geom["coordinates"][1])
        rows.append(props)
    return _records_from_rows(rows, source or f"opendata:{Path(path).name}", mapping or {}, 1)


def read_csv(path: Path, mapping: dict[str, str] | None = None, source: str | None = None) -> SourceResult:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return _records_from_rows(frame.to_dict("records"), source or f"opendata:{Path(path).name}",
                              mapping or {}, 2)


def read_file(path: Path, mapping: dict[str, str] | None = None, source: str | None = None) -> SourceResult:
    suffix = Path(path).suffix.lower()
    if suffix in (".geojson", ".json"):
        return read_geojson(path, mapping, source)
    return read_csv(path, mapping, source)
