"""Publish copies read by the wiki itself (issue 12.1): uploaded through the API of a loopback
MediaWiki, whose PHP ``exif_read_data`` fills ``commonmetadata``. Before the fix, a JPEG that
needed no rotation got ``Exif\\0\\0Exif\\0\\0`` and the wiki saw no EXIF at all."""

from __future__ import annotations

import uuid

import pytest

from tests.photo_samples import encoded, jpeg, sample_photo
from wikitown.finds.photos import prepare_photo

pytestmark = pytest.mark.wiki

MB = 1024 * 1024


def _cases() -> dict[str, bytes]:
    gps = dict(lat=34.894452, lon=138.322446, taken="2026:11:28 10:30:00", serial="SN-WIKI-1")
    return {
        "kept": jpeg(size=(120, 80), **gps),  # orientation 1: published byte for byte after the metadata
        "rotated": jpeg(size=(120, 80), orientation=6, **gps),
        "png": encoded("PNG", size=(120, 80), **gps),
        "webp": encoded("WEBP", size=(120, 80), **gps),
        "heic": sample_photo("exifr", "heic-iphone7.heic").read_bytes(),
        "jorakuji": sample_photo("yaizu", "9_jorakuji_gps.jpg").read_bytes(),
        "iptc-date": sample_photo("crafted", "iptc_only.jpg").read_bytes(),  # date only in IPTC: written as EXIF
    }


def test_the_wiki_reads_gps_and_date_from_every_publish_copy(fresh_mediawiki, tmp_path):
    # A private wiki: these publish copies are the very bytes other tests publish to the shared
    # one, where the wiki would then (rightly) call them duplicates.
    wiki = fresh_mediawiki()
    tag = uuid.uuid4().hex[:8]
    titles = {}
    for name, data in _cases().items():
        photo = prepare_photo(data, f"{name}.jpg", max_bytes=50 * MB)
        result = wiki.upload(f"Exif check {name} {tag}.jpg", photo.publish, text="test")
        assert result["result"] == "Success", result
        titles[f"File:{result['filename'].replace('_', ' ')}"] = (name, photo.info)
    res = wiki.api({"action": "query", "titles": "|".join(titles), "prop": "imageinfo",
                         "iiprop": "commonmetadata|metadata|mime", "formatversion": 2})
    for page in res["query"]["pages"]:
        name, info = titles[page["title"]]
        ii = page["imageinfo"][0]
        assert ii["mime"] == "image/jpeg", name
        common = {m["name"]: m["value"] for m in ii.get("commonmetadata") or []}
        meta = {m["name"]: m["value"] for m in ii.get("metadata") or []}
        assert common, f"{name}: the wiki found no EXIF"
        assert common.get("DateTimeOriginal") == info.taken[:19].replace("-", ":", 2).replace("T", " "), (name, common)
        if info.has_gps:
            assert common["GPSLatitude"] == pytest.approx(info.lat, abs=1e-4), (name, common)
            assert common["GPSLongitude"] == pytest.approx(info.lon, abs=1e-4), (name, common)
        for key in ("BodySerialNumber", "SerialNumber", "CameraOwnerName", "ImageUniqueID", "Artist", "MakerNote"):
            assert key not in common and key not in meta, (name, key)
        assert "SN-WIKI-1" not in str(ii)
