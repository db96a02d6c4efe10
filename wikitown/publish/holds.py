"""Photos held for the organizer's decision before they are published.

A photo is held (not uploaded) when something about it needs a person's look:

- ``far``: its GPS position is further than ``[publish] max_distance_km`` (default 1 km) from
  the site it is assigned to (a photo taken in Madrid published for a grave in Tokyo);
- ``embedded_author``: the file itself names someone (EXIF Artist / Copyright, XMP dc:creator,
  IPTC By-line) who is not the person credited: perhaps not the participant's photo;
- ``small``: below ``[publish] min_long_side_px`` (default 640) on its long side;
- ``no_date``: no date anywhere (the file page and the file name then carry no date).

The organizer releases a held photo (:func:`wikitown.publish.decisions.release`), or reassigns it
to the right site (``finds assign``); a released photo is published with its reasons shown.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
import warnings
from pathlib import Path

from wikitown.core.geo import haversine_m
from wikitown.finds.photos import utf8_read_as_latin1

XMP_HEAD_BYTES = 512 * 1024  # XMP sits in the first APP1 segments of a JPEG (or in the HEIF meta box)
_XMP_CREATOR_RE = re.compile(rb"<dc:creator>(.*?)</dc:creator>", re.S)
_XMP_LI_RE = re.compile(rb"<rdf:li[^>]*>(.*?)</rdf:li>", re.S)
_XMP_ATTR_RE = re.compile(rb'\b(?:dc:creator|tiff:Artist)="([^"]+)"')  # the short attribute form
# Words around a name in a copyright line: (c) 2026 NAME. All rights reserved.
_COPYRIGHT_NOISE_RE = re.compile(r"(?i)(copyright|\(c\)|©|all rights reserved\.?|\b(19|20)\d\d\b|[,.;:]+)")


def _exif_names(data: bytes) -> list[str]:
    """EXIF Artist and Copyright (exifread, as the finds feature reads EXIF)."""
    import exifread

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tags = exifread.process_file(io.BytesIO(data), details=False, stop_tag="GPS GPSVersionID")
    except Exception:  # noqa: BLE001 - exifread raises anything on odd files; no names then
        return []
    out = []
    for key in ("Image Artist", "Image Copyright"):
        tag = tags.get(key)
        if tag is None:
            continue
        value = tag.values if isinstance(tag.values, str) else str(tag)
        out.extend(part for part in value.replace("\x00", "\n").split("\n") if part.strip())
    return out


def _xmp_names(data: bytes) -> list[str]:
    out = []
    for block in _XMP_CREATOR_RE.findall(data):
        out.extend(li.decode("utf-8", "replace") for li in _XMP_LI_RE.findall(block))
    out.extend(v.decode("utf-8", "replace") for v in _XMP_ATTR_RE.findall(data))
    return out


def _iptc_names(data: bytes) -> list[str]:
    try:
        from PIL import Image, IptcImagePlugin

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                iptc = IptcImagePlugin.getiptcinfo(im) or {}
    except Exception:  # noqa: BLE001 - no IPTC, or not a format Pillow reads it from
        return []
    value = iptc.get((2, 80))  # By-line
    values = value if isinstance(value, list) else [value] if value else []
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


def embedded_creators(path: Path | str) -> list[str]:
    """Names the file itself gives as its creator or copyright holder, as written.

    The finds feature's photo reader reports them (``PhotoInfo.authors``: EXIF, XMP, IPTC); until
    it does, they are read here (EXIF Artist/Copyright with exifread, XMP dc:creator, IPTC By-line)."""
    from wikitown.finds.photos import read_photo

    authors = getattr(read_photo(path), "authors", None)
    if isinstance(authors, dict):
        names = [str(v) for v in authors.values() if v]
    else:
        try:
            with open(path, "rb") as fh:
                head = fh.read(XMP_HEAD_BYTES)
        except OSError:
            return []
        names = [*_exif_names(head), *_xmp_names(head), *_iptc_names(head)]
    cleaned = []
    for name in names:
        name = " ".join(unicodedata.normalize("NFC", utf8_read_as_latin1(html.unescape(name))).split())
        if name and name not in cleaned:
            cleaned.append(name)
    return cleaned


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s_・･.\-]+", "", text)


def names_someone_else(embedded: str, credited: list[str]) -> bool:
    """True when ``embedded`` (a creator or copyright line) names nobody in ``credited``."""
    core = _key(_COPYRIGHT_NOISE_RE.sub(" ", embedded))
    if not core:
        return False  # only a year or "(c)": names nobody
    keys = [_key(c) for c in credited if _key(c)]
    return not any(k in core or core in k for k in keys)


def hold_reasons(*, photo_lat, photo_lon, site_lat, site_lon, taken: str, long_side: int | None,
                 creators: list[str], credited: list[str], max_distance_m: float,
                 min_long_side: int) -> list[tuple[str, dict]]:
    """Why a photo should wait for the organizer: [(message key, params)], empty when it need not."""
    reasons: list[tuple[str, dict]] = []
    if None not in (photo_lat, photo_lon, site_lat, site_lon):
        distance = haversine_m(photo_lat, photo_lon, site_lat, site_lon)
        if distance > max_distance_m:
            reasons.append(("publish.hold.far", {"distance_km": f"{distance / 1000:.1f}",
                                                 "limit_km": f"{max_distance_m / 1000:g}"}))
    others = [c for c in creators if names_someone_else(c, credited)]
    if others:
        reasons.append(("publish.hold.embedded_author", {"names": ", ".join(others),
                                                         "credit": ", ".join(dict.fromkeys(
                                                             c.strip() for c in credited if c.strip())) or "-"}))
    if long_side is not None and long_side < min_long_side:
        reasons.append(("publish.hold.small", {"size": long_side, "limit": min_long_side}))
    if not taken:
        reasons.append(("publish.hold.no_date", {}))
    return reasons
