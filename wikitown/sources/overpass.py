"""OpenStreetMap, through the Overpass API: historic=* and heritage=* objects in the area.

Overpass QL with JSON output; ways and relations come with their ``center``. The
``wikidata`` and ``wikipedia`` tags link an object to Wikidata and to articles.
"""

from __future__ import annotations

import re

from wikitown.core.errors import ServiceError
from wikitown.core.geo import haversine_m
from wikitown.sources.base import RowIssue, SiteRecord, SourceResult
from wikitown.sources.designations import designation_level, guess_kind

SOURCE = "osm"
# OSM's heritage=* follows administrative levels: 2 national, 4 prefectural, 7/8 municipal.
HERITAGE_LEVELS = {"1": "national", "2": "national", "4": "prefectural", "5": "prefectural",
                   "6": "municipal", "7": "municipal", "8": "municipal"}


def build_query(lat: float, lon: float, radius_km: float, timeout: int = 90) -> str:
    r = int(radius_km * 1000)
    around = f"(around:{r},{lat:.6f},{lon:.6f})"
    return (f"[out:json][timeout:{int(timeout)}];\n(\n"
            f"  nwr[\"historic\"]{around};\n"
            f"  nwr[\"heritage\"]{around};\n"
            ");\nout center tags;\n")


def _kind(tags: dict, name: str) -> dict:
    """The kind from OSM's tags (a place of worship's religion), else a guess from the name."""
    if tags.get("amenity") == "place_of_worship" or tags.get("building") in ("temple", "shrine"):
        religion = tags.get("religion")
        kind = "shrine" if religion == "shinto" else "temple" if religion == "buddhist" else ""
        if kind:
            return {"kind": kind, "kind_origin": "osm"}
    return {"kind": guess_kind(name), "kind_origin": "name"}


def parse_elements(data: dict, *, target_lang: str = "ja", area=None) -> SourceResult:
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        raise ServiceError("Overpass API", "the answer has no elements")
    remark = str(data.get("remark") or "")
    if "error" in remark.lower():  # a timed-out query still answers 200 with partial elements
        raise ServiceError("Overpass API", remark[:200])
    result = SourceResult(SOURCE)
    for number, el in enumerate(data["elements"], 1):
        if not isinstance(el, dict) or el.get("type") not in ("node", "way", "relation"):
            continue
        tags = el.get("tags") or {}
        key = f"{el['type']}/{el.get('id')}"
        name = tags.get(f"name:{target_lang}") or tags.get("name") or tags.get("name:ja") or ""
        if not name.strip():
            result.issues.append(RowIssue(number, f"{key} has no name"))
            continue
        point = el if el["type"] == "node" else (el.get("center") or {})
        lat, lon = point.get("lat"), point.get("lon")
        status = "ok" if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) else "missing"
        if status == "missing":
            lat = lon = None
        elif area is not None and haversine_m(lat, lon, area.lat, area.lon) > area.radius_km * 1000 * 1.05:
            continue  # Overpass' around is a circle already; this guards a stand-in or a bbox query
        articles = {}
        m = re.match(r"^([a-z][a-z-]{1,11}):(.+)$", tags.get("wikipedia", ""))
        if m:
            articles[m.group(1)] = m.group(2).replace("_", " ")
        for k, v in tags.items():
            mm = re.match(r"^([a-z][a-z-]{1,11}):wikipedia$", k)
            if mm and v:
                articles.setdefault(mm.group(1), v.split(":", 1)[-1] if v.startswith(mm.group(1) + ":") else v)
        designation = tags.get("heritage:designation") or tags.get("designation") or ""
        level = HERITAGE_LEVELS.get(tags.get("heritage", ""), "") or designation_level(designation)
        qid = tags.get("wikidata", "")
        result.records.append(SiteRecord(
            source=SOURCE, source_id=key, name=name, name_kana=tags.get("name:ja-Hira", "") or
            tags.get("name:ja_kana", "") or tags.get("name:ja-Kana", ""), name_en=tags.get("name:en", ""),
            designation=designation, designation_level=level,
            category=tags.get("historic", "") or tags.get("heritage", ""),
            **_kind(tags, name),
            address=" ".join(v for k, v in sorted(tags.items()) if k.startswith("addr:") and v),
            lat=lat, lon=lon, coord_status=status,
            wikidata_id=qid if re.fullmatch(r"Q\d+", qid) else "",
            image=tags.get("wikimedia_commons", "").removeprefix("File:") if
            tags.get("wikimedia_commons", "").startswith("File:") else "",
            commons_category=tags.get("wikimedia_commons", "").removeprefix("Category:") if
            tags.get("wikimedia_commons", "").startswith("Category:") else "",
            articles=articles, data={"tags": tags, "type": el["type"], "id": el.get("id")}))
    return result


def fetch(area, *, client, endpoint: str, target_lang: str = "ja") -> SourceResult:
    query = build_query(area.lat, area.lon, area.radius_km)
    resp = client.request("POST", endpoint, data={"data": query}, service="Overpass API")
    return parse_elements(resp.json(), target_lang=target_lang, area=area)
