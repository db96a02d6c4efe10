"""What wikitown reads and writes, checked with exiftool as the independent reader.

* Capture times: photo-info agrees with exiftool on every photo in tests/data that exiftool dates
  (EXIF, XMP, IPTC, old cameras' IFD0 DateTime), and names the tag it used.
* Publish copies: exiftool reads their EXIF without a warning, with GPS and DateTimeOriginal, and
  without device identifiers, for every path (JPEG kept as is, rotated JPEG, HEIC, PNG, WebP, AVIF).
* ICC profiles: a checked profile is passed on, anything else is dropped.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from PIL import Image, ImageCms

from tests.harness.requirements import need
from tests.photo_samples import PHOTOS, encoded, jpeg, sample_photo
from wikitown.core.paths import PROJECT_ROOT
from wikitown.finds.photo_meta import TAKEN_ORDER
from wikitown.finds.photos import _jpeg_segments, prepare_photo, read_photo

MB = 1024 * 1024
# exiftool's group:tag (with -G1) for each source photo-info names, and the tag holding its offset.
EXIFTOOL_TAGS = {
    "EXIF:DateTimeOriginal": ("ExifIFD:DateTimeOriginal", "ExifIFD:OffsetTimeOriginal"),
    "XMP:DateTimeOriginal": ("XMP-exif:DateTimeOriginal", None),
    "EXIF:CreateDate": ("ExifIFD:CreateDate", "ExifIFD:OffsetTimeDigitized"),
    "XMP:CreateDate": ("XMP-xmp:CreateDate", None),
    "XMP:DateTimeDigitized": ("XMP-exif:DateTimeDigitized", None),
    "IPTC:DateCreated": ("IPTC:DateCreated", None),  # + IPTC:TimeCreated (exiftool's Composite:DateTimeCreated)
    "XMP:DateCreated": ("XMP-photoshop:DateCreated", None),
    "EXIF:ModifyDate": ("IFD0:ModifyDate", "ExifIFD:OffsetTime"),
}
DATED_TYPES = {"JPEG", "HEIC", "HEIF", "PNG", "WEBP", "Extended WEBP", "AVIF", "TIFF", "JXL"}


def exiftool_json(*args) -> list[dict]:
    exe = need("exiftool")
    proc = subprocess.run([exe, "-j", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout or "[]")


def _iso(exif_text: str) -> str:
    """exiftool's ``2019:04:01 09:15:30+09:00`` as ISO text."""
    return exif_text.replace(":", "-", 2).replace(" ", "T", 1)


def exiftool_capture(row: dict) -> tuple[str, str] | None:
    """(ISO capture time, source) as exiftool reads the file, in photo-info's documented order."""
    for source in TAKEN_ORDER:
        tag, offset_tag = EXIFTOOL_TAGS[source]
        value = row.get(tag)
        if not isinstance(value, str) or not value.strip() or value.startswith("0000"):
            continue
        if source == "IPTC:DateCreated" and isinstance(row.get("IPTC:TimeCreated"), str):
            value = f"{value} {row['IPTC:TimeCreated']}"
        offset = row.get(offset_tag) if offset_tag else None
        return _iso(value) + (offset if isinstance(offset, str) and len(value) <= 19 else ""), source
    return None


def test_capture_times_agree_with_exiftool():
    rows = exiftool_json("-G1", "-a", "-r", "-time:all", "-FileType", str(PHOTOS))
    dated = {r["SourceFile"]: c for r in rows if r.get("File:FileType") in DATED_TYPES and (c := exiftool_capture(r))}
    assert len(dated) >= 20  # the real samples and the crafted ones (IPTC only, XMP only, IFD0 only, TIFF, JXL)
    sources = {source for _, source in dated.values()}
    assert sources == set(TAKEN_ORDER) - {"XMP:DateTimeDigitized"}, sources  # every place, proven on a file
    proc = subprocess.run([sys.executable, "-m", "wikitown", "photo-info", "--json", *dated], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "WIKITOWN_LANG": "en"})
    ours = {r["file"]: r for r in json.loads(proc.stdout)}
    wrong = []
    for path, (taken, source) in dated.items():
        got = ours[path]
        # The capture time to the second, the offset when exiftool shows one, and the same source.
        if (got["taken"] or "")[:len(taken)] != taken or got["taken_at_source"] != source:
            wrong.append((path, taken, source, got["taken"], got["taken_at_source"]))
    assert not wrong, wrong


def test_refused_types_still_report_type_gps_and_time():
    for name, fmt in (("camera.tif", "tiff"), ("camera.jxl", "jxl")):
        info = read_photo(sample_photo("crafted", name))
        assert info.format == fmt and info.error_key == "finds.reject.unsupported"
        assert info.lat is not None and info.taken and info.taken_at_source == "EXIF:DateTimeOriginal"
    row = exiftool_json("-n", "-GPSLatitude", "-GPSLongitude", str(sample_photo("crafted", "camera.tif")))[0]
    info = read_photo(sample_photo("crafted", "camera.tif"))
    assert info.lat == pytest.approx(row["GPSLatitude"], abs=1e-6)
    assert info.lon == pytest.approx(row["GPSLongitude"], abs=1e-6)


def test_embedded_authors_are_reported():
    info = read_photo(sample_photo("exif-py", "jpg_xmp_no_exif.jpg"))
    assert info.authors == {"EXIF:Artist": "CREDIT", "XMP:Creator": "CREDIT", "IPTC:By-line": "CREDIT"}
    assert read_photo(sample_photo("crafted", "iptc_only.jpg")).authors == {"IPTC:By-line": "Hanako Yamada"}
    assert read_photo(sample_photo("crafted", "xmp_photoshop_only.jpg")).authors == {"XMP:Creator": "Taro Suzuki"}
    gps = read_photo(sample_photo("exiftool", "GPS.jpg")).authors
    assert gps["EXIF:Artist"] == "Ian Britton" and gps["IPTC:CopyrightNotice"] == "ian Britton - FreeFoto.com"
    assert read_photo(jpeg()).authors == {}


# --------------------------------------------------------------------------------------------
# publish copies


SECRETS = ("SN-123456", "Owner Name", "Taro Private")
DEVICE_TAGS = ("SerialNumber", "InternalSerialNumber", "LensSerialNumber", "OwnerName", "ImageUniqueID", "Artist",
               "MakerNote", "HostComputer")


def _publish_cases() -> dict[str, tuple[bytes, bool]]:
    """name -> (original, has GPS) for every path of the publish copy."""
    secret = dict(serial=SECRETS[0], owner=SECRETS[1], artist=SECRETS[2])
    gps = dict(lat=34.894452, lon=138.322446, taken="2026:11:28 10:30:00")
    return {
        "kept.jpg": (jpeg(size=(80, 40), **gps, **secret), True),  # orientation 1: the camera's own JPEG
        "rotated.jpg": (jpeg(size=(80, 40), orientation=6, **gps, **secret), True),
        "camera.png": (encoded("PNG", **gps, **secret), True),
        "phone.webp": (encoded("WEBP", **gps, **secret), True),
        "phone.avif": (encoded("AVIF", **gps, **secret), True),
        "iphone.heic": (sample_photo("exifr", "heic-iphone7.heic").read_bytes(), True),
        "jorakuji.jpg": (sample_photo("yaizu", "9_jorakuji_gps.jpg").read_bytes(), True),
        "nikon.jpg": (sample_photo("exif-py", "jpg_tests_nikon_D3100_TypeError.jpg").read_bytes(), True),
        "xmp_date.jpg": (sample_photo("crafted", "xmp_photoshop_only.jpg").read_bytes(), False),
        "iptc_date.jpg": (sample_photo("crafted", "iptc_only.jpg").read_bytes(), False),
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    folder = tmp_path_factory.mktemp("publish")
    out = {}
    for name, (data, has_gps) in _publish_cases().items():
        photo = prepare_photo(data, name, max_bytes=50 * MB)
        path = folder / f"{name}.publish.jpg"
        path.write_bytes(photo.publish)
        out[name] = (path, photo, has_gps)
    return out


def test_exiftool_reads_every_publish_copy_without_warning(published):
    rows = exiftool_json("-n", "-G1", "-a", "-warning", "-GPSLatitude", "-GPSLongitude", "-DateTimeOriginal",
                         "-FileType", *[f"-{t}" for t in DEVICE_TAGS], *[str(p) for p, _, _ in published.values()])
    by_path = {r["SourceFile"]: r for r in rows}
    for name, (path, photo, has_gps) in published.items():
        row = by_path[str(path)]
        assert row["File:FileType"] == "JPEG", name
        assert not any("Warning" in key for key in row), (name, row)
        assert row.get("ExifIFD:DateTimeOriginal"), (name, row)
        assert row["ExifIFD:DateTimeOriginal"] == photo.info.taken[:19].replace("-", ":", 2).replace("T", " ")
        if has_gps:
            assert row["Composite:GPSLatitude"] == pytest.approx(photo.info.lat, abs=1e-5), name
            assert row["Composite:GPSLongitude"] == pytest.approx(photo.info.lon, abs=1e-5), name
        for tag in DEVICE_TAGS:
            assert not any(key.endswith(":" + tag) for key in row), (name, tag)
        for secret in SECRETS:
            assert secret.encode() not in photo.publish, (name, secret)


def test_publish_copy_has_one_exif_segment_with_one_header(published):
    for name, (path, photo, _) in published.items():
        app1 = [seg for marker, seg in _jpeg_segments(photo.publish) if marker == 0xE1]
        assert len(app1) == 1, name
        assert app1[0][4:10] == b"Exif\x00\x00" and app1[0][10:12] in (b"MM", b"II"), name
        assert b"http://ns.adobe.com/xap/1.0/" not in photo.publish and b"Photoshop 3.0" not in photo.publish


# --------------------------------------------------------------------------------------------
# ICC profiles


def _with_icc(data: bytes, icc: bytes) -> bytes:
    """``data`` (a JPEG) with ``icc`` inserted as one APP2 ICC_PROFILE segment after SOI."""
    body = b"ICC_PROFILE\x00\x01\x01" + icc
    return data[:2] + b"\xff\xe2" + (len(body) + 2).to_bytes(2, "big") + body + data[2:]


def _profile_description(path) -> str | None:
    return exiftool_json("-ICC_Profile:ProfileDescription", str(path))[0].get("ProfileDescription")


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_checked_icc_profile_is_kept(tmp_path, orientation):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _with_icc(jpeg(size=(80, 40), orientation=orientation, lat=35.0, lon=139.0), srgb)
    path = tmp_path / "p.jpg"
    path.write_bytes(prepare_photo(data, "srgb.jpg", max_bytes=MB).publish)
    assert Image.open(path).info.get("icc_profile") == srgb
    assert _profile_description(path)


@pytest.mark.parametrize("orientation", [1, 6])
@pytest.mark.parametrize("kind", ["garbage", "cmyk", "too_big", "wrong_length"])
def test_an_odd_icc_profile_is_dropped(tmp_path, orientation, kind):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    if kind == "garbage":
        icc = srgb[:128] + bytes(range(256)) * 8
        icc = len(icc).to_bytes(4, "big") + icc[4:]
    elif kind == "cmyk":  # a valid profile, but not for RGB pixels
        icc = bytearray(srgb)
        icc[16:20] = b"CMYK"
        icc = bytes(icc)
    elif kind == "too_big":  # parses, but 30 KB of padding for every viewer to read
        icc = srgb + b"\x00" * 30_000
        icc = len(icc).to_bytes(4, "big") + icc[4:]
    else:
        icc = srgb[:-10]
    data = _with_icc(jpeg(size=(80, 40), orientation=orientation, lat=35.0, lon=139.0), icc)
    photo = prepare_photo(data, f"{kind}.jpg", max_bytes=MB)
    path = tmp_path / "p.jpg"
    path.write_bytes(photo.publish)
    assert b"ICC_PROFILE" not in photo.publish
    assert _profile_description(path) is None
    assert Image.open(io.BytesIO(photo.publish)).size == ((80, 40) if orientation == 1 else (40, 80))
