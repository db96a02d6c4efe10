"""The event's sites for other tools: CSV, GeoJSON, GPX and KML (OsmAnd, Organic Maps,
Google My Maps), and a wikitext list with red links for the event's page on the wiki.

Every function takes the sites frame (``wikitown.store.sites.sites_frame``, ideally sorted by
``gaps.with_priority``) and returns bytes, so the app's download buttons and the command
line share them.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import mwparserfromhell

from wikitown.core.i18n import t
from wikitown.core.csvout import csv_bytes
from wikitown.store.sites import CSV_COLUMNS
from wikitown.core.wikitext import escape

EXTRA_COLUMNS = ["source_ids", "name_en", "designation_level", "kind", "kind_origin", "municipality_origin",
                 "commons_category", "image", "other_articles", "issues", "selected", "priority"]
FORMATS = {"csv": "text/csv", "geojson": "application/geo+json", "gpx": "application/gpx+xml",
           "kml": "application/vnd.google-earth.kml+xml", "wikitext": "text/plain"}


def _rows(frame) -> list[dict]:
    """The sites as dicts: from a list of rows (``store.sites.site_rows``) or a pandas frame."""
    if isinstance(frame, list):
        return [{**({"site_id": r.get("id")} if "site_id" not in r else {}), **r} for r in frame]
    frame = frame.rename(columns={"id": "site_id"}) if "site_id" not in frame.columns else frame
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _has_point(row: dict) -> bool:
    lat, lon = row.get("lat"), row.get("lon")
    return isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and math.isfinite(lat) \
        and math.isfinite(lon) and row.get("coord_status") != "missing"


def _cell(value, column: str) -> str:
    if value is None:
        return ""
    if column == "other_articles" and isinstance(value, dict):
        return ";".join(f"{k}:{v}" for k, v in sorted(value.items()))
    if column == "issues" and isinstance(value, list):  # the importer's findings: "name_damaged@12;..."
        return ";".join(f"{i.get('code')}@{i.get('line')}" for i in value if isinstance(i, dict))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # rows come with None for unknown values (see _rows), never NaN
        return repr(value)
    return str(value)


def to_csv(frame) -> bytes:
    """UTF-8 with a BOM and no formulas from the sources' text (:mod:`wikitown.core.csvout`)."""
    rows = _rows(frame)
    columns = CSV_COLUMNS + [c for c in EXTRA_COLUMNS if rows and c in rows[0]]
    return csv_bytes(columns, ([_cell(row.get(c), c) for c in columns] for row in rows))


def to_geojson(frame) -> bytes:
    features = []
    for row in _rows(frame):
        props = {c: row.get(c) for c in CSV_COLUMNS + EXTRA_COLUMNS if c in row and c not in ("lat", "lon")}
        geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]} if _has_point(row) else None
        features.append({"type": "Feature", "id": row.get("site_id"), "geometry": geometry, "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      default=str, indent=1).encode("utf-8")


def _description(row: dict, lang: str) -> str:
    parts = [row.get("designation") or "", row.get("category") or "",
             t("sites.export.article", lang, status=t(f"status.article.{row.get('article_status') or 'unchecked'}",
                                                        lang))]
    if row.get("article_title"):
        parts.append(row["article_title"])
    if row.get("address"):
        parts.append(row["address"])
    return " / ".join(p for p in parts if p)


def to_gpx(frame, *, lang: str = "ja", name: str = "") -> bytes:
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.name = name or None
    gpx.creator = "wikitown"
    for row in _rows(frame):
        if not _has_point(row):
            continue
        wpt = gpxpy.gpx.GPXWaypoint(latitude=row["lat"], longitude=row["lon"], name=row.get("name") or "",
                                    description=_description(row, lang))
        wpt.type = row.get("article_status") or "unchecked"
        wpt.comment = row.get("site_id")
        gpx.waypoints.append(wpt)
    return gpx.to_xml(prettyprint=True).encode("utf-8")


def to_kml(frame, *, lang: str = "ja", name: str = "") -> bytes:
    ns = "http://www.opengis.net/kml/2.2"
    ET.register_namespace("", ns)
    kml = ET.Element(f"{{{ns}}}kml")
    doc = ET.SubElement(kml, f"{{{ns}}}Document")
    ET.SubElement(doc, f"{{{ns}}}name").text = name or "wikitown"
    for row in _rows(frame):
        if not _has_point(row):
            continue
        pm = ET.SubElement(doc, f"{{{ns}}}Placemark", id=str(row.get("site_id") or ""))
        ET.SubElement(pm, f"{{{ns}}}name").text = row.get("name") or ""
        ET.SubElement(pm, f"{{{ns}}}description").text = _description(row, lang)
        ext = ET.SubElement(pm, f"{{{ns}}}ExtendedData")
        for key in ("article_status", "designation", "wikidata_id"):
            data = ET.SubElement(ext, f"{{{ns}}}Data", name=key)
            ET.SubElement(data, f"{{{ns}}}value").text = str(row.get(key) or "")
        point = ET.SubElement(pm, f"{{{ns}}}Point")
        ET.SubElement(point, f"{{{ns}}}coordinates").text = f"{row['lon']:.7f},{row['lat']:.7f},0"
    return ET.tostring(kml, encoding="utf-8", xml_declaration=True)


def _link_target(title: str) -> str | None:
    title = " ".join((title or "").split())
    if not title or any(c in title for c in "#<>[]|{}\n") or "~~~" in title or title.startswith(":"):
        return None
    return title


def to_wikitext(frame, *, lang: str = "ja") -> bytes:
    """A bulleted list: each site links to its article, or to the title its article would have
    (a red link, ready to be written). Names are escaped; links are written with a leading
    colon so a name such as Category:... is a link, never a categorisation."""
    code = mwparserfromhell.parse("")
    rows = _rows(frame)
    for status in ("missing", "possible", "ambiguous", "unchecked", "exists"):
        group = [r for r in rows if (r.get("article_status") or "unchecked") == status]
        if not group:
            continue
        code.append(f"== {escape(t(f'sites.export.heading.{status}', lang))} ==\n")
        for row in group:
            target = _link_target(row.get("article_title") or row.get("name") or "")
            label = escape(row.get("name") or "")
            line = "* "
            if target:
                link = mwparserfromhell.nodes.Wikilink(":" + target, label if label != target else None)
                line += str(link)
            else:
                line += label
            extra = " / ".join(escape(v) for v in (row.get("designation"), row.get("category")) if v)
            if extra:
                line += f"（{extra}）" if lang == "ja" else f" ({extra})"
            code.append(line + "\n")
    return str(code).encode("utf-8")


def export(frame, fmt: str, *, lang: str = "ja", name: str = "") -> bytes:
    if fmt == "csv":
        return to_csv(frame)
    if fmt == "geojson":
        return to_geojson(frame)
    if fmt == "gpx":
        return to_gpx(frame, lang=lang, name=name)
    if fmt == "kml":
        return to_kml(frame, lang=lang, name=name)
    if fmt == "wikitext":
        return to_wikitext(frame, lang=lang)
    raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
