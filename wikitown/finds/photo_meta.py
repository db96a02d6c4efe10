"""Metadata outside EXIF that cameras, phones and photo software write: XMP packets and IPTC
records (in a JPEG's APP13 Photoshop block), the capture time wherever it was written, the
embedded author, and which ICC colour profiles are safe to pass on.

Capture time, in the order used (the first one present wins; ``taken_at_source`` names it,
with exiftool's group and tag names):

1. ``EXIF:DateTimeOriginal`` (+ ``OffsetTimeOriginal``): what every camera and phone writes;
2. ``XMP:DateTimeOriginal`` (``exif:DateTimeOriginal`` in XMP: Lightroom, Photoshop, some Androids);
3. ``EXIF:CreateDate`` (``DateTimeDigitized`` + ``OffsetTimeDigitized``): scanners, some compacts;
4. ``XMP:CreateDate`` (``xmp:CreateDate``), then ``XMP:DateTimeDigitized``;
5. ``IPTC:DateCreated`` + ``IPTC:TimeCreated`` (exiftool's Composite:DateTimeCreated): press
   and agency workflows that drop EXIF;
6. ``XMP:DateCreated`` (``photoshop:DateCreated``);
7. ``EXIF:ModifyDate`` (IFD0 ``DateTime``): old compact cameras write only this one. It is also
   what an editor changes, so it comes last and the source says so.

Parsing is by regular expressions over bounded text, never an XML parser (no entity
expansion, no network): an XMP packet is data a stranger sent.
"""

from __future__ import annotations

import datetime as dt
import html
import re

TAKEN_ORDER = ("EXIF:DateTimeOriginal", "XMP:DateTimeOriginal", "EXIF:CreateDate", "XMP:CreateDate",
               "XMP:DateTimeDigitized", "IPTC:DateCreated", "XMP:DateCreated", "EXIF:ModifyDate")
MAX_XMP = 512 * 1024  # bytes of one XMP packet looked at
XMP_JPEG = b"http://ns.adobe.com/xap/1.0/\x00"

# --------------------------------------------------------------------------------------------
# dates


_DATE_RE = re.compile(
    r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})"  # date
    r"(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?)?"  # time, seconds optional
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$")


def iso_datetime(text, offset=None, *, date_only_ok: bool = False) -> str | None:
    """ISO 8601 from EXIF/XMP/ISO text (``2026:11:28 10:30:00``, ``2026-11-28T10:30+09:00``),
    with the offset when one is recorded. None for placeholders (``0000:00:00``) and garbage.
    Date-only text gives ``YYYY-MM-DD`` when ``date_only_ok``."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "ignore")
    text = str(text or "").replace("\x00", "").strip()
    m = _DATE_RE.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        date = dt.date(int(year), int(month), int(day))
        if hour is None:
            return date.isoformat() if date_only_ok else None
        value = dt.datetime(date.year, date.month, date.day, int(hour), int(minute), int(second or 0))
    except ValueError:  # 0000:00:00 00:00:00, month 13 and other placeholders
        return None
    iso = value.isoformat()
    if zone is None and offset is not None:
        zone = offset.decode("ascii", "ignore") if isinstance(offset, bytes) else str(offset)
        zone = zone.replace("\x00", "").strip()
    if zone:
        if zone == "Z":
            return iso + "+00:00"
        zm = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone)
        if zm and int(zm.group(2)) <= 14 and int(zm.group(3)) < 60:
            iso += f"{zm.group(1)}{zm.group(2)}:{zm.group(3)}"
    return iso


def pick_taken(dates: dict[str, str | None]) -> tuple[str | None, str | None]:
    """(ISO capture time, its source) by :data:`TAKEN_ORDER`."""
    for source in TAKEN_ORDER:
        if dates.get(source):
            return dates[source], source
    return None, None


# --------------------------------------------------------------------------------------------
# XMP


def find_xmp(data: bytes) -> bytes | None:
    """The first XMP packet in ``data`` (any container: it is plain text between markers)."""
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        start = data.find(b"<rdf:RDF")
        if start < 0:
            return None
    end = data.find(b"</x:xmpmeta>", start, start + MAX_XMP)
    if end < 0:
        end = data.find(b"</rdf:RDF>", start, start + MAX_XMP)
    if end < 0:
        return data[start:start + MAX_XMP]
    return data[start:end + 12]


def _xmp_values(text: str, name: str) -> list[str]:
    """Values of property ``name`` (``prefix:Local``): as an attribute, a simple element, or the
    ``rdf:li`` items of an ``rdf:Seq``/``rdf:Bag``/``rdf:Alt`` inside the element."""
    if name not in text:  # most packets hold a few of the properties asked for
        return []
    q = re.escape(name)
    out = [m.group(2) for m in re.finditer(rf"[\s<]{q}\s*=\s*(['\"])(.*?)\1", text, re.S)]
    for m in re.finditer(rf"<{q}(?:\s[^>]*)?>(.*?)</{q}\s*>", text, re.S):
        inner = m.group(1)
        items = re.findall(r"<rdf:li(?:\s[^>]*)?>(.*?)</rdf:li\s*>", inner, re.S)
        out.extend(items if items else [inner])
    return [html.unescape(v).strip() for v in out if v and v.strip() and "<" not in v]


def parse_xmp(packet: bytes | None) -> dict:
    """``{"dates": {source: iso}, "authors": {source: text}}`` from an XMP packet."""
    out: dict = {"dates": {}, "authors": {}}
    if not packet:
        return out
    text = packet[:MAX_XMP].decode("utf-8", "replace")
    for source, prop in (("XMP:DateTimeOriginal", "exif:DateTimeOriginal"), ("XMP:CreateDate", "xmp:CreateDate"),
                         ("XMP:DateTimeDigitized", "exif:DateTimeDigitized"),
                         ("XMP:DateCreated", "photoshop:DateCreated")):
        for value in _xmp_values(text, prop):
            iso = iso_datetime(value, date_only_ok=source == "XMP:DateCreated")
            if iso:
                out["dates"][source] = iso
                break
    for source, prop in (("XMP:Creator", "dc:creator"), ("XMP:Rights", "dc:rights")):
        values = _xmp_values(text, prop)
        if values:
            out["authors"][source] = "; ".join(dict.fromkeys(values))[:500]
    return out


# --------------------------------------------------------------------------------------------
# IPTC (IIM records inside Photoshop's image resource block, JPEG APP13)


def iptc_from_app13(payload: bytes) -> bytes | None:
    """The IPTC-NAA resource (8BIM 0x0404) of a ``Photoshop 3.0`` APP13 payload."""
    if not payload.startswith(b"Photoshop 3.0\x00"):
        return None
    pos, n = 14, len(payload)
    while pos + 12 <= n and payload[pos:pos + 4] == b"8BIM":
        rid = int.from_bytes(payload[pos + 4:pos + 6], "big")
        name_len = payload[pos + 6]
        pos += 6 + 1 + name_len + ((1 + name_len) & 1)  # Pascal name padded to even
        if pos + 4 > n:
            return None
        size = int.from_bytes(payload[pos:pos + 4], "big")
        pos += 4
        if rid == 0x0404:
            return payload[pos:pos + size]
        pos += size + (size & 1)
    return None


def parse_iptc(records: bytes | None) -> dict:
    """``{"dates": {...}, "authors": {...}}`` from IPTC IIM records (2:55 DateCreated,
    2:60 TimeCreated, 2:80 By-line, 2:116 CopyrightNotice)."""
    out: dict = {"dates": {}, "authors": {}}
    if not records:
        return out
    fields: dict[int, list[bytes]] = {}
    pos, n = 0, len(records)
    while pos + 5 <= n and records[pos] == 0x1C:
        record, dataset = records[pos + 1], records[pos + 2]
        size = int.from_bytes(records[pos + 3:pos + 5], "big")
        if size & 0x8000:  # extended length: not used for the text fields read here
            return out
        value = records[pos + 5:pos + 5 + size]
        if record == 2:
            fields.setdefault(dataset, []).append(value)
        pos += 5 + size
    coded_utf8 = True  # 1:90 is in record 1; text is decoded leniently either way

    def text(ds):
        return [v.decode("utf-8" if coded_utf8 else "latin-1", "replace").strip("\x00 ") for v in fields.get(ds, [])]

    date = (text(55) or [""])[0]
    time = (text(60) or [""])[0]
    dm = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", date)
    if dm:
        tm = re.fullmatch(r"(\d{2})(\d{2})(\d{2})([+-]\d{4})?", time)
        if tm:
            zone = tm.group(4)
            iso = iso_datetime(f"{dm.group(1)}:{dm.group(2)}:{dm.group(3)} {tm.group(1)}:{tm.group(2)}:{tm.group(3)}",
                               zone and f"{zone[:3]}:{zone[3:]}")
        else:
            iso = iso_datetime(f"{dm.group(1)}:{dm.group(2)}:{dm.group(3)}", date_only_ok=True)
        if iso:
            out["dates"]["IPTC:DateCreated"] = iso
    for source, ds in (("IPTC:By-line", 80), ("IPTC:CopyrightNotice", 116)):
        values = [v for v in text(ds) if v]
        if values:
            out["authors"][source] = "; ".join(dict.fromkeys(values))[:500]
    return out


# --------------------------------------------------------------------------------------------
# ICC profiles

MAX_ICC = 24 * 1024  # sRGB is 3 KB, Display P3 0.5 KB, Adobe RGB 0.5 KB; camera profiles stay far below
_ICC_CLASSES = {"mntr", "spac", "scnr"}


def good_icc(profile: bytes | None) -> bytes | None:
    """The profile if it is a plain RGB colour profile that LittleCMS reads and can convert to
    sRGB; otherwise None (the publish copy then carries no profile: viewers assume sRGB).
    A profile is a small program for every viewer that opens the file: odd ones stay out."""
    if not profile or len(profile) > MAX_ICC or len(profile) < 128:
        return None
    if int.from_bytes(profile[:4], "big") != len(profile) or profile[36:40] != b"acsp":
        return None
    try:
        import io

        from PIL import ImageCms

        parsed = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        inner = parsed.profile
        if inner.xcolor_space.strip() != "RGB" or inner.device_class.strip() not in _ICC_CLASSES:
            return None
        ImageCms.buildTransform(parsed, ImageCms.createProfile("sRGB"), "RGB", "RGB")
    except Exception:  # noqa: BLE001 - LittleCMS raises PyCMSError/OSError/ValueError on bad profiles
        return None
    return profile


def jpeg_icc(segments) -> bytes | None:
    """The ICC profile of a JPEG, joined from its numbered APP2 chunks (None if any is missing)."""
    chunks: dict[int, bytes] = {}
    total = None
    for marker, payload in segments:
        if marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00") and len(payload) >= 14:
            seq, count = payload[12], payload[13]
            total = count if total is None else total
            chunks[seq] = payload[14:]
    if not chunks or total is None or sorted(chunks) != list(range(1, total + 1)):
        return None
    return b"".join(chunks[i] for i in range(1, total + 1))
