"""Finds as open data: CSV and GeoJSON in the shape of a municipal walking-event
dataset (Yaizu's ``historyspot__walkingevent.csv``: NO, 名称, よみがな, 郵便番号, 住所,
緯度, 経度, 説明, 画像, 備考) plus licence and credit columns, and the publishable
JPEGs beside them (device identifiers already stripped).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from wikitown.core import licences
from wikitown.finds.capture import list_finds
from wikitown.core.csvout import csv_bytes
from wikitown.core.fsutil import atomic_write_bytes

COLUMNS = ["NO", "名称", "よみがな", "郵便番号", "住所", "緯度", "経度", "説明", "画像", "備考",
           "ライセンス", "ライセンスURL", "クレジット", "撮影日時", "ID"]
IMAGES_DIR = "images"


@dataclass
class ExportResult:
    csv_path: Path
    geojson_path: Path
    rows: int
    images: int


def _fields_text(event, fields: dict, lang: str = "ja") -> str:
    labels = {f.key: f.label(lang) for f in event.config.note_fields}
    parts = []
    for key, value in fields.items():
        if isinstance(value, bool):
            value = ("はい" if value else "いいえ") if lang == "ja" else ("yes" if value else "no")
        parts.append(f"{labels.get(key, key)}: {value}")
    return "; ".join(parts)


def export_rows(event, *, include_queue: bool = False, image_base_url: str = "", lang: str = "ja") -> list[dict]:
    """One row per photo (a find without photos is one row with no image), oldest first."""
    rows = []
    site_info = _sites_by_id(event)
    for find in reversed(list_finds(event)):
        if find["match_status"] == "queue" and not include_queue:
            continue
        site = site_info.get(find["site_id"] or "", {})
        photos = find["media"] or [None]
        for photo in photos:
            image = ""
            if photo is not None and photo.get("publish_path"):
                image = f"{IMAGES_DIR}/{_image_name(find, photo)}"
                if image_base_url:
                    image = image_base_url.rstrip("/") + "/" + _image_name(find, photo)
            lat = find["lat"] if find["lat"] is not None else site.get("lat")
            lon = find["lon"] if find["lon"] is not None else site.get("lon")
            rows.append({
                "NO": len(rows) + 1,
                "名称": site.get("name", ""),
                "よみがな": site.get("name_kana", ""),
                "郵便番号": "",
                "住所": site.get("address", ""),
                "緯度": "" if lat is None else f"{lat:.7f}",
                "経度": "" if lon is None else f"{lon:.7f}",
                "説明": find["note"] or "",
                "画像": image,
                "備考": _fields_text(event, find["fields"], lang),
                "ライセンス": licences.label(find["licence"]),
                "ライセンスURL": licences.url(find["licence"]),
                "クレジット": find["credit"] or "",
                "撮影日時": (photo or {}).get("taken") or "",
                "ID": find["id"] + (f"/{photo['sha1'][:12]}" if photo else ""),
                "_publish_path": (photo or {}).get("publish_path"),
                "_image_name": _image_name(find, photo) if photo else "",
            })
    return rows


def _image_name(find: dict, photo: dict) -> str:
    return f"{find['id']}_{photo['sha1'][:12]}.jpg"


def _sites_by_id(event) -> dict:
    from wikitown.store.sites import load_sites

    return {s.id: {"id": s.id, "name": s.name, "name_kana": s.name_kana, "address": s.address, "lat": s.lat,
                   "lon": s.lon} for s in load_sites(event.store)}


def to_csv(rows: list[dict]) -> bytes:
    """``finds.csv``: UTF-8 with a BOM (Excel), participants' text never a formula (core.csvout)."""
    return csv_bytes(COLUMNS, ([row[c] for c in COLUMNS] for row in rows))


def to_geojson(rows: list[dict]) -> bytes:
    features = []
    for row in rows:
        if not row["緯度"] or not row["経度"]:
            continue
        features.append({"type": "Feature",
                         "geometry": {"type": "Point", "coordinates": [float(row["経度"]), float(row["緯度"])]},
                         "properties": {c: row[c] for c in COLUMNS if c not in ("緯度", "経度")}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      indent=1).encode("utf-8")


def export_finds(event, out_dir: Path, *, include_queue: bool = False, image_base_url: str = "",
                 copy_images: bool = True, lang: str = "ja") -> ExportResult:
    """Write ``finds.csv``, ``finds.geojson`` and ``images/`` into ``out_dir``."""
    out_dir = Path(out_dir)
    rows = export_rows(event, include_queue=include_queue, image_base_url=image_base_url, lang=lang)
    images = 0
    if copy_images:
        (out_dir / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
        for row in rows:
            if row["_publish_path"]:
                shutil.copyfile(event.path(row["_publish_path"]), out_dir / IMAGES_DIR / row["_image_name"])
                images += 1
    csv_path = atomic_write_bytes(out_dir / "finds.csv", to_csv(rows))
    geo_path = atomic_write_bytes(out_dir / "finds.geojson", to_geojson(rows))
    return ExportResult(csv_path, geo_path, len(rows), images)
