"""Publish copies read by the wiki itself (issue 12.1): uploaded with pywikibot to the loopback
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


def test_the_wiki_reads_gps_and_date_from_every_publish_copy(mediawiki, pywikibot_dir, tmp_path):
    import pywikibot

    from wikitown.net.wiki import close_session

    # A clean session of our own: an earlier test in this process may have ended the account's.
    close_session(pywikibot.Site("townwiki", "townwiki"), pywikibot.config.usernames["townwiki"]["townwiki"])
    site = pywikibot.Site("townwiki", "townwiki")
    site.login()
    tag = uuid.uuid4().hex[:8]
    titles = {}
    for name, data in _cases().items():
        photo = prepare_photo(data, f"{name}.jpg", max_bytes=50 * MB)
        path = tmp_path / f"{name}.jpg"
        path.write_bytes(photo.publish)
        page = pywikibot.FilePage(site, f"File:Exif check {name} {tag}.jpg")
        assert page.upload(str(path), summary="EXIF check", text="test", ignore_warnings=True)
        titles[page.title()] = (name, photo.info)
    res = mediawiki.api({"action": "query", "titles": "|".join(titles), "prop": "imageinfo",
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
