"""Photos from phones and cameras: what they are, where and when they were taken,
and the copies wikitown keeps (a JPEG to publish, a thumbnail).

* The type comes from the bytes, never the name: JPEG, PNG, HEIC/HEIF, WebP, AVIF.
* GPS, time taken and orientation are read with exifread (fast: it never decodes
  pixels) and, where exifread raises or finds nothing, with Pillow (pillow-heif
  registered). Both fail on real files in different ways, so every value
  is checked: 0/0 rationals,
  NaN and out-of-range coordinates mean "no GPS".
* The capture time is read from every place cameras and software write it (EXIF,
  XMP, IPTC; order in :mod:`wikitown.finds.photo_meta`), and ``taken_at_source``
  says which one was used. The embedded author (EXIF Artist/Copyright, XMP
  dc:creator/dc:rights, IPTC By-line/CopyrightNotice) is reported in ``authors``.
* Types wikitown does not take (TIFF, JPEG XL ...) are still read for type, GPS
  and time; the refusal is their ``error``.
* :func:`prepare_photo` validates a whole upload (size, type, decompression
  bombs, corrupt data) and makes the publish JPEG: HEIC and friends converted,
  orientation applied, device identifiers (serial numbers, owner name, maker
  notes) removed while GPS and the dates are kept. The declared pixel size is
  checked from the header before anything is decoded, and the decoding itself
  runs in a memory-capped worker process (:mod:`wikitown.finds.decode_pool`).
"""

from __future__ import annotations

import io
import logging
import math
import re
import struct
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from wikitown.core.errors import InputError
from wikitown.finds.photo_headers import declared_size, iso_boxes, jpeg_meta_end, jpeg_segments
from wikitown.finds.photo_meta import (XMP_JPEG, find_xmp, good_icc, iptc_from_app13, iso_datetime, jpeg_icc,
                                       parse_iptc, parse_xmp, pick_taken)

# Phones write 12-50 MP (200 MP sensors bin to 50 MP files), the largest full-frame cameras 61 MP
# (9504 x 6336); a bigger "photo" is a decompression bomb far more often than a camera. Decoding
# 64 MP takes about 190 MB (RGB), rotating it twice that.
MAX_PIXELS = 64_000_000
# Real photos need bytes for their pixels: a JPEG 12 MP photo is 2-6 MB, a flat PNG screenshot
# still about 1 byte per 50-300 pixels. A file declaring over 2 MP at more than 1000 pixels per
# byte is a bomb (a 38-byte WebP declaring 120 MP).
MAX_PIXELS_PER_BYTE = 1000
SMALL_PIXELS = 2_000_000
THUMB_SIZE = 480
PUBLISH_QUALITY = 92
FORMATS = ("jpeg", "png", "heic", "heif", "webp", "avif")
EXTENSIONS = {"jpeg": "jpg", "png": "png", "heic": "heic", "heif": "heif", "webp": "webp", "avif": "avif"}
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic", "heif": "image/heif",
              "webp": "image/webp", "avif": "image/avif"}
# Enough to know the type and, for most JPEGs, to hold the EXIF segment (at most 64 KiB).
HEAD_BYTES = 72 * 1024

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_OTHER_IMAGES = ((b"GIF87a", "gif"), (b"GIF89a", "gif"), (b"BM", "bmp"), (b"II*\x00", "tiff"),
                 (b"MM\x00*", "tiff"), (b"\xff\x0a", "jxl"), (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "jxl"))
# Refused for upload but still read for type, GPS and time (photo-info on a camera card).
_READ_ONLY = ("tiff", "jxl")

log = logging.getLogger(__name__)
logging.getLogger("exifread").setLevel(logging.CRITICAL)  # it warns on every odd file; we report instead


@dataclass
class PhotoInfo:
    """What a photo says about itself. ``error`` is None or an English message
    (``error_key`` + ``error_params`` give it in the user's language)."""

    file: str = ""
    format: str | None = None
    lat: float | None = None
    lon: float | None = None
    taken: str | None = None  # ISO 8601, local time as the camera wrote it (with offset when recorded)
    taken_at_source: str | None = None  # where ``taken`` was read: "EXIF:DateTimeOriginal", "XMP:CreateDate" ...
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    error: str | None = None
    error_key: str | None = None
    error_params: dict = field(default_factory=dict)
    # Names embedded by the camera or software: {"EXIF:Artist": ..., "EXIF:Copyright": ..., "XMP:Creator": ...,
    # "XMP:Rights": ..., "IPTC:By-line": ..., "IPTC:CopyrightNotice": ...} (only those present).
    authors: dict = field(default_factory=dict)

    @property
    def has_gps(self) -> bool:
        return self.lat is not None and self.lon is not None

    def as_json(self) -> dict:
        # By hand, not dataclasses.asdict: its deep copy was a tenth of photo-info's time per file.
        return {"file": self.file, "format": self.format, "lat": self.lat, "lon": self.lon, "taken": self.taken,
                "taken_at_source": self.taken_at_source, "orientation": self.orientation, "error": self.error,
                "authors": dict(self.authors)}


class PhotoRejected(InputError):
    """One file that cannot be taken, with the reason (a message key)."""

    key = "finds.reject.corrupt"


# --------------------------------------------------------------------------------------------
# type from the bytes


def detect_format(head: bytes) -> str | None:
    """``jpeg``, ``png``, ``heic``, ``heif``, ``webp``, ``avif``; another image type's
    name (``gif``, ``tiff`` ...) for images wikitown does not take; None for anything else."""
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        major = head[8:12]
        brands = {major} | {head[i:i + 4] for i in range(16, min(max(size, 16), len(head), 256), 4)}
        if major in _AVIF_BRANDS:
            return "avif"
        if major in _HEIC_BRANDS:
            return "heic"
        if major in _HEIF_BRANDS or brands & (_HEIC_BRANDS | _HEIF_BRANDS):
            return "avif" if brands & _AVIF_BRANDS and not brands & _HEIC_BRANDS else "heif"
        return None  # MP4, MOV and other ISO media files
    for magic, name in _OTHER_IMAGES:
        if head.startswith(magic):
            return name
    return None


def safe_name(name: str, limit: int = 120) -> str:
    """A file name for display only (never a path): no folders, no control characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name[:limit] or "photo"


# --------------------------------------------------------------------------------------------
# reading metadata


def _num(value) -> float | None:
    """A finite float from an exifread Ratio, a Pillow IFDRational or a number; None for 0/0."""
    try:
        if hasattr(value, "den") and hasattr(value, "num"):  # exifread Ratio
            if not value.den:
                return None
            value = value.num / value.den
        value = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def _dms(values, ref) -> float | None:
    try:
        parts = [_num(v) for v in list(values)[:3]]
    except TypeError:
        return None
    if not parts or any(p is None for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    deg, minutes, seconds = parts
    if deg < 0 or minutes < 0 or seconds < 0:
        return None
    value = deg + minutes / 60 + seconds / 3600
    ref = (ref.decode("ascii", "ignore") if isinstance(ref, bytes) else str(ref or "")).strip().upper()[:1]
    return -value if ref in ("S", "W") else value


def _valid_latlon(lat, lon) -> tuple[float | None, float | None]:
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def _orientation(value) -> int | None:
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 8 else None


def _jpeg_head(head: bytes, source, data: bytes | None) -> bytes:
    """The start of a JPEG up to its frame header, so every metadata segment (EXIF, XMP, IPTC,
    ICC) is in it; read further when they pass the head (at most 2 MiB: 30 segments of 64 KiB)."""
    if len(head) < HEAD_BYTES or jpeg_meta_end(head) is not None:
        return head
    more = head
    for size in (512 * 1024, 2 * 1024 * 1024):
        if data is not None:
            more = data[:size]
        else:
            with open(source, "rb") as fh:
                more = fh.read(size)
        if len(more) < size or jpeg_meta_end(more) is not None:
            break
    return more


def utf8_read_as_latin1(text: str) -> str:
    """EXIF text fields are ASCII by the standard and UTF-8 in practice: a reader that took the
    bytes as Latin-1 (Pillow does) gives 'GarcÃ\xada' for 'García'. Undo that; other text is unchanged."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _text(value) -> str:
    """A tag's text: bytes decoded, NULs (EXIF's separators and padding) made separators."""
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else " ".join(map(str, value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = utf8_read_as_latin1(str(value or ""))
    parts = [p.strip() for p in str(value or "").split("\x00")]
    return "; ".join(p for p in parts if p)[:500]


def _exif_dates(original, original_offset, digitized, digitized_offset, modified, modified_offset) -> dict:
    return {"EXIF:DateTimeOriginal": iso_datetime(original, original_offset),
            "EXIF:CreateDate": iso_datetime(digitized, digitized_offset),
            "EXIF:ModifyDate": iso_datetime(modified, modified_offset)}


def _from_exifread(stream) -> dict:
    """Raises whatever exifread raises (callers guard)."""
    import exifread

    tags = exifread.process_file(stream, details=False, extract_thumbnail=False)
    out: dict = {"any": bool(tags)}
    lat = lon = None
    if "GPS GPSLatitude" in tags and "GPS GPSLongitude" in tags:
        lat = _dms(tags["GPS GPSLatitude"].values, _tag_text(tags.get("GPS GPSLatitudeRef")))
        lon = _dms(tags["GPS GPSLongitude"].values, _tag_text(tags.get("GPS GPSLongitudeRef")))
    out["lat"], out["lon"] = _valid_latlon(lat, lon)
    out["dates"] = _exif_dates(*(_tag_text(tags.get(name)) for name in (
        "EXIF DateTimeOriginal", "EXIF OffsetTimeOriginal", "EXIF DateTimeDigitized", "EXIF OffsetTimeDigitized",
        "Image DateTime", "EXIF OffsetTime")))
    orient = tags.get("Image Orientation")
    out["orientation"] = _orientation(orient.values[0]) if orient is not None and orient.values else None
    out["authors"] = {source: text for source, name in (("EXIF:Artist", "Image Artist"),
                                                          ("EXIF:Copyright", "Image Copyright"))
                      if (text := _text(tags[name].values if name in tags else ""))}
    return out


def _tag_text(tag) -> str:
    if tag is None:
        return ""
    values = tag.values
    if isinstance(values, (list, tuple)):
        values = values[0] if values else ""
    return values.decode("ascii", "ignore") if isinstance(values, bytes) else str(values)


_heif_registered = False


def register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


def warm_up() -> None:
    """Import every decoder now (a worker process does this once, before its memory cap)."""
    from PIL import Image, ImageCms  # noqa: F401

    register_heif()
    Image.init()


def _open_image(stream, fmt: str):
    from PIL import Image

    if fmt in ("heic", "heif", "avif"):
        register_heif()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image.open(stream)


def _from_exif(exif) -> dict:
    """The same fields as :func:`_from_exifread`, from a Pillow ``Image.Exif``."""
    from PIL import ExifTags

    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    lat = lon = None
    if 2 in gps and 4 in gps:
        lat, lon = _dms(gps[2], gps.get(1)), _dms(gps[4], gps.get(3))
    out = {}
    out["lat"], out["lon"] = _valid_latlon(lat, lon)
    out["dates"] = _exif_dates(sub.get(0x9003), sub.get(0x9011), sub.get(0x9004), sub.get(0x9012),
                               exif.get(0x0132), sub.get(0x9010))
    out["orientation"] = _orientation(exif.get(0x0112))
    out["authors"] = {source: text for source, tag in (("EXIF:Artist", 0x013B), ("EXIF:Copyright", 0x8298))
                      if (text := _text(exif.get(tag, "")))}
    return out


def _from_pillow(im) -> dict:
    return _from_exif(im.getexif())


def _jxl_metadata(data: bytes) -> tuple[dict, bytes | None]:
    """EXIF fields and the XMP packet of a JPEG XL container (``Exif`` and ``xml `` boxes;
    Brotli-compressed ``brob`` boxes are not read)."""
    from PIL import Image

    found: dict = {}
    xmp = None
    for kind, start, end in iso_boxes(data):
        if kind == b"Exif" and end - start > 12:
            offset = int.from_bytes(data[start:start + 4], "big")
            exif = Image.Exif()
            exif.load(b"Exif\x00\x00" + data[start + 4 + offset:end])
            found = _from_exif(exif)
        elif kind == b"xml ":
            xmp = data[start:end]
    return found, xmp


def _fail(info: PhotoInfo, key: str, message: str, **params) -> PhotoInfo:
    info.error, info.error_key, info.error_params = message, key, params
    return info


def _merge(found: dict, more: dict) -> dict:
    """``found`` with the gaps filled from ``more`` (two readers of the same EXIF block)."""
    out = dict(found)
    if out.get("lat") is None and more.get("lat") is not None:
        out["lat"], out["lon"] = more["lat"], more["lon"]
    if out.get("orientation") is None:
        out["orientation"] = more.get("orientation")
    for key in ("dates", "authors"):
        merged = dict(more.get(key) or {})
        merged.update({k: v for k, v in (out.get(key) or {}).items() if v})
        out[key] = merged
    return out


def read_photo(source: bytes | str | Path, *, name: str | None = None, dimensions: bool = False) -> PhotoInfo:
    """Read a photo's type, GPS, time taken (and where it was written), orientation and embedded
    author. Never raises for a bad file: the problem is in ``error``. ``dimensions=True`` also
    opens the image header with Pillow for width and height (photo-info skips it for speed)."""
    label = name if name is not None else (str(source) if not isinstance(source, bytes) else "")
    info = PhotoInfo(file=label)
    try:
        if isinstance(source, bytes):
            data = source
            head = data[:HEAD_BYTES]
        else:
            with open(source, "rb") as fh:
                head = fh.read(HEAD_BYTES)
                data = None
    except OSError as exc:
        return _fail(info, "finds.reject.unreadable", f"cannot read the file: {exc.strerror or exc}",
                     reason=exc.strerror or str(exc))
    if not head:
        return _fail(info, "finds.reject.empty", "the file is empty")
    fmt = detect_format(head)
    if fmt is None:
        return _fail(info, "finds.reject.not_image", "not an image (JPEG, PNG, HEIC/HEIF, WebP or AVIF)")
    info.format = fmt
    refusal = None
    if fmt not in FORMATS:
        refusal = (f"{fmt.upper()} images are not taken; send JPEG, PNG, HEIC/HEIF, WebP or AVIF", fmt.upper())
        if fmt not in _READ_ONLY:
            return _fail(info, "finds.reject.unsupported", refusal[0], format=refusal[1])

    def whole():
        nonlocal data
        if data is None:
            data = Path(source).read_bytes()
        return data

    found: dict = {}
    exif_ok = False
    xmp = iptc = exif_payload = None
    jpeg_head = _jpeg_head(head, source, data) if fmt == "jpeg" else None
    if jpeg_head is not None:
        for marker, payload in jpeg_segments(jpeg_head):
            if marker == 0xE1 and payload.startswith(b"Exif\x00\x00") and exif_payload is None:
                exif_payload = payload
            elif marker == 0xE1 and payload.startswith(XMP_JPEG) and xmp is None:
                xmp = payload[len(XMP_JPEG):]
            elif marker == 0xED and iptc is None:
                iptc = iptc_from_app13(payload)
    if exif_payload is not None:
        # A JPEG's EXIF block, parsed by Pillow without opening the image (half exifread's time).
        try:
            from PIL import Image

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exif = Image.Exif()
                exif.load(exif_payload)
                found = _from_exif(exif)
            exif_ok = True
        except Exception as exc:  # noqa: BLE001 - a damaged block: exifread below reads it its own way
            log.debug("Pillow EXIF failed on %s: %r", label, exc)
            found = {}
    has_date = any((found.get("dates") or {}).values())
    # exifread: for HEIF (it needs the whole file: EXIF can sit anywhere), PNG, WebP and TIFF, and
    # for a JPEG whose block Pillow could not read or found no date in (each reader follows odd
    # offsets its own way). A JPEG without an EXIF segment is not read again.
    use_exifread = fmt not in ("jpeg", "jxl") or (fmt == "jpeg" and (not exif_ok or not has_date) and (
        exif_payload is not None or b"Exif" in jpeg_head))
    try:
        if fmt == "jxl":
            found, xmp = _jxl_metadata(whole())
            exif_ok = bool(found)
        elif use_exifread:
            stream = io.BytesIO(jpeg_head if jpeg_head is not None else whole())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                more = _from_exifread(stream)
            exif_ok = more.pop("any") or exif_ok
            found = _merge(found, more) if found else more
    except Exception as exc:  # noqa: BLE001 - exifread raises anything on odd files (field-facts.md)
        log.debug("exifread failed on %s: %r", label, exc)
    if fmt not in ("jpeg", "jxl"):
        xmp = find_xmp(whole())
    # Opening the image with Pillow: for its size, and for the other types where exifread raised,
    # saw nothing, or found no date (pillow-heif finds HEIF EXIF that exifread misreads;
    # a WebP EXIF chunk without its header). A JPEG's EXIF block was read by both above; Pillow
    # opens a JPEG only to judge one whose header has no frame size (cut off or damaged).
    need_pillow = dimensions or (fmt not in ("jpeg", "jxl") and (not exif_ok or not any(
        (found.get("dates") or {}).values()))) or (fmt == "jpeg" and declared_size(jpeg_head, "jpeg") is None)
    if need_pillow:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stream = io.BytesIO(whole()) if fmt != "jpeg" or data is not None else open(source, "rb")
                with stream, _open_image(stream, fmt) as im:
                    info.width, info.height = im.size
                    try:
                        fallback = _from_pillow(im)
                    except Exception as exc:  # noqa: BLE001 - a bad EXIF block is not a bad photo
                        log.debug("Pillow EXIF failed on %s: %r", label, exc)
                        fallback = {}
        except Exception as exc:  # noqa: BLE001 - Pillow raises OSError/ValueError/SyntaxError/... on garbage
            if refusal is not None:
                fallback = {}
            elif type(exc).__name__ == "DecompressionBombError":
                return _fail(info, "finds.reject.bomb", f"too many pixels for a photo ({exc})",
                             width="?", height="?")
            else:
                return _fail(info, "finds.reject.corrupt", f"the image is damaged or incomplete ({exc})",
                             reason=str(exc))
        found = _merge(found, fallback)
    extra = [parse_iptc(iptc), parse_xmp(xmp)]
    dates = dict(found.get("dates") or {})
    authors = dict(found.get("authors") or {})
    for more in extra:
        dates.update({k: v for k, v in more["dates"].items() if v and not dates.get(k)})
        authors.update({k: v for k, v in more["authors"].items() if v and k not in authors})
    info.lat, info.lon = found.get("lat"), found.get("lon")
    info.taken, info.taken_at_source = pick_taken(dates)
    info.orientation = found.get("orientation")
    info.authors = authors
    if refusal is not None:
        return _fail(info, "finds.reject.unsupported", refusal[0], format=refusal[1])
    return info


# --------------------------------------------------------------------------------------------
# validating an upload and making the copies

# EXIF kept in what is published: how and where and when, not whose device.
_KEEP_IFD0 = {0x010F, 0x0110, 0x0131, 0x0132, 0x011A, 0x011B, 0x0128}  # Make, Model, Software, DateTime, res
_KEEP_EXIF = {0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x829A, 0x829D, 0x8822, 0x8827, 0x8833, 0x9201, 0x9202,
              0x9204, 0x9205, 0x9207, 0x9209, 0x920A, 0xA402, 0xA403, 0xA405, 0xA406, 0xA432, 0xA433, 0xA434,
              0xA001}
# Not kept (for the record): 0x013B Artist, 0x8298 Copyright, 0x013C HostComputer, 0x927C MakerNote,
# 0x9286 UserComment, 0xA420 ImageUniqueID, 0xA430 CameraOwnerName, 0xA431 BodySerialNumber,
# 0xA435 LensSerialNumber, IFD1 (the embedded thumbnail), XMP, IPTC, comments.


@dataclass
class PreparedPhoto:
    """An accepted upload: the original bytes and the derived copies, not yet stored."""

    name: str
    data: bytes
    sha1: str
    info: PhotoInfo
    publish: bytes  # JPEG
    thumb: bytes  # JPEG, no metadata
    index: int = 0  # position in an upload batch

    @property
    def ext(self) -> str:
        return EXTENSIONS[self.info.format]


def _exif_datetime(iso: str | None) -> tuple[str | None, str | None]:
    """EXIF's ``YYYY:MM:DD HH:MM:SS`` and ``+HH:MM`` from an ISO capture time (None for a date alone)."""
    if not iso or len(iso) < 19:
        return None, None
    return iso[:10].replace("-", ":") + " " + iso[11:19], (iso[19:25] or None)


def _clean_exif(src, *, keep_gps: bool, taken: str | None = None) -> bytes:
    """The EXIF block for the publish copy (``Exif\\0\\0`` + TIFF, as ``Image.Exif.tobytes``
    gives it). ``taken``: a capture time read from XMP or IPTC, written as DateTimeOriginal
    when the EXIF has none (the wiki shows EXIF, and XMP/IPTC are not published)."""
    from PIL import ExifTags, Image

    sub = src.get_ifd(ExifTags.IFD.Exif)
    kept = {k: v for k, v in sub.items() if k in _KEEP_EXIF}
    original, offset = _exif_datetime(taken)
    if original and not iso_datetime(kept.get(0x9003)):
        kept[0x9003] = original
        kept.pop(0x9011, None)
        if offset:
            kept[0x9011] = offset
    gps = dict(src.get_ifd(ExifTags.IFD.GPSInfo)) if keep_gps else {}
    # Pillow cannot write back every value it read (a negative number in a RATIONAL tag, a
    # string where a number belongs): then the odd part is left out, not the photo.
    for with_exif, with_gps in ((True, True), (True, False), (False, False)):
        new = Image.Exif()
        for tag in _KEEP_IFD0:
            if tag in src:
                new[tag] = src[tag]
        new[0x0112] = 1  # orientation applied to the pixels
        if kept and with_exif:
            new[ExifTags.IFD.Exif] = kept
        if gps and with_gps:
            new[ExifTags.IFD.GPSInfo] = gps
        try:
            return new.tobytes()
        except (struct.error, ValueError, TypeError, OverflowError, KeyError) as exc:
            log.debug("EXIF not writable as read (%r); leaving part of it out", exc)
    new = Image.Exif()
    new[0x0112] = 1
    return new.tobytes()


# EXIF orientation -> the transpose that shows the photo upright (as Pillow's exif_transpose).
_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
              7: "TRANSVERSE", 8: "ROTATE_90"}


def _upright(im, orientation):
    """The pixels turned by the EXIF orientation. Not ``ImageOps.exif_transpose``: that also
    rewrites the image's EXIF and raises on values Pillow cannot write back."""
    from PIL import Image

    method = _TRANSPOSE.get(orientation or 1)
    return im.transpose(getattr(Image.Transpose, method)) if method else im


def _jpeg_segments(data: bytes):
    """(marker, segment bytes) up to the first SOS, then the scan data to EOI."""
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise ValueError("bad JPEG marker")
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2 or pos + 2 + length > n:
            raise ValueError("bad JPEG segment length")
        if marker == 0xDA:  # start of scan: image data up to the end-of-image marker
            yield marker, data[pos:_end_of_image(data, pos + 2 + length) + 2]
            return
        yield marker, data[pos:pos + 2 + length]
        pos += 2 + length
    raise ValueError("no image data")


# A marker: 0xFF then anything but stuffing (00), fill (FF) or a restart marker (D0-D7).
_MARKER_RE = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")


def _end_of_image(data: bytes, pos: int) -> int:
    """Where the first image's EOI marker is. Phones append more JPEGs after it (MPF depth
    maps, HDR gain maps) with their own EXIF: those are left out of the publish copy."""
    # A regular expression jumps over the scan data in C: a byte-by-byte loop over every 0xFF
    # of a 4 MB photo cost more than the rest of the publish copy.
    n = len(data)
    while True:
        found = _MARKER_RE.search(data, pos)
        if found is None:
            raise ValueError("no end of image")
        pos = found.start()
        if data[pos + 1] == 0xD9:
            return pos
        if pos + 4 > n:  # a segment between scans (progressive JPEG: DHT, SOS ...)
            raise ValueError("truncated JPEG segment")
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")


def _app_segments(marker: int, header: bytes, body: bytes, *, numbered: bool = False) -> bytes:
    """``body`` as one APPn segment, or (ICC) as numbered chunks of at most 64 KiB each."""
    if not numbered:
        if len(header) + len(body) + 2 > 0xFFFF:
            raise ValueError("metadata segment too big")
        return bytes([0xFF, marker]) + (len(header) + len(body) + 2).to_bytes(2, "big") + header + body
    room = 0xFFFF - 2 - len(header) - 2
    chunks = [body[i:i + room] for i in range(0, len(body), room)]
    return b"".join(_app_segments(marker, header + bytes([n, len(chunks)]), chunk)
                    for n, chunk in enumerate(chunks, 1))


def _lossless_jpeg(data: bytes, exif: bytes, icc: bytes | None) -> bytes:
    """The same JPEG with its metadata segments replaced by ``exif`` (as ``Image.Exif.tobytes``
    gives it, with its ``Exif\\0\\0`` header) and ``icc`` (a checked profile, or none): not
    re-encoded, so Commons gets the camera's own pixels."""
    tiff = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif  # the header is written once, here
    meta = _app_segments(0xE1, b"Exif\x00\x00", tiff)
    if icc:
        meta += _app_segments(0xE2, b"ICC_PROFILE\x00", icc, numbered=True)
    out = [b"\xff\xd8"]
    placed = False
    for marker, seg in _jpeg_segments(data):
        # Kept: JFIF (first, where it belongs), Adobe APP14 (says how to read the colours), and
        # everything that is not metadata (tables, frame, scan). Dropped: other APP segments
        # (old EXIF, XMP, IPTC, maker data, the old ICC profile) and comments.
        jfif = marker == 0xE0 and seg[4:9] == b"JFIF\x00"
        keep = jfif or marker == 0xEE or not (0xE0 <= marker <= 0xEF or marker == 0xFE)
        if not placed and not (jfif and len(out) == 1):
            out.append(meta)
            placed = True
        if keep:
            out.append(seg)
    return b"".join(out)


def _check_pixels(label: str, size, nbytes: int, max_pixels: int) -> None:
    width, height = size if size else (0, 0)
    pixels = (width or 0) * (height or 0)
    if pixels > max_pixels or (pixels > SMALL_PIXELS and pixels > nbytes * MAX_PIXELS_PER_BYTE):
        raise PhotoRejected(f"{label}: {width}x{height} pixels in {nbytes} bytes is not a photo "
                            f"(at most {max_pixels / 1e6:.0f} MP; a decompression bomb?)",
                            key="finds.reject.bomb", name=label, width=width, height=height)


def prepare_photo(data: bytes, name: str = "", *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> PreparedPhoto:
    """Validate one upload and make its publish JPEG and thumbnail.
    Raises :class:`PhotoRejected` with the reason; never anything else for bad bytes.

    Order matters for hostile files: the byte size, then the pixel size the header declares
    (no decoder has run yet), then the header as Pillow reads it, and only then the pixels,
    in a worker process with a memory cap and a timeout (:mod:`wikitown.finds.decode_pool`)."""
    from wikitown.finds.decode_pool import DecodeFailed, decode
    from wikitown.store.media import sha1_hex

    label = safe_name(name)
    if len(data) > max_bytes:
        raise PhotoRejected(f"{label}: larger than {max_bytes / 1e6:.0f} MB", key="finds.reject.too_large",
                            name=label, size_mb=f"{len(data) / 1e6:.1f}", max_mb=f"{max_bytes / 1e6:.0f}")
    fmt = detect_format(data[:HEAD_BYTES])
    if fmt in FORMATS:
        _check_pixels(label, declared_size(data, fmt), len(data), max_pixels)
    info = read_photo(data, name=label, dimensions=True)
    if info.error:
        raise PhotoRejected(f"{label}: {info.error}", key=info.error_key, name=label, **info.error_params)
    _check_pixels(label, (info.width, info.height), len(data), max_pixels)
    taken = info.taken if info.taken_at_source != "EXIF:DateTimeOriginal" else None
    # A JPEG that needs no rotation keeps the camera's own compressed image: only its thumbnail is
    # decoded (in the worker, which then sends back 30 KB, not the photo).
    lossless = info.format == "jpeg" and (info.orientation or 1) == 1
    job = {"data": data, "fmt": info.format, "orientation": info.orientation, "keep_gps": info.has_gps,
           "taken": taken, "thumb_only": lossless}
    try:
        publish, thumb = decode(job)
        if lossless:
            publish = _lossless_publish(data, info.has_gps, taken)
    except DecodeFailed as exc:
        if exc.kind == "memory" or exc.exc_type in ("DecompressionBombError", "DecompressionBombWarning"):
            raise PhotoRejected(f"{label}: too large to decode ({exc})", key="finds.reject.bomb", name=label,
                                width=info.width, height=info.height) from None
        if exc.kind == "timeout":
            raise PhotoRejected(f"{label}: decoding took too long ({exc})", key="finds.reject.slow",
                                name=label) from None
        if exc.kind == "busy":
            raise PhotoRejected(f"{label}: the server is busy ({exc})", key="finds.reject.busy", name=label) from None
        reason = exc.detail or exc.kind
        raise PhotoRejected(f"{label}: the image is damaged or incomplete ({reason})", key="finds.reject.corrupt",
                            name=label, reason=reason) from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError, RuntimeError,
            struct.error) as exc:  # the lossless publish copy: segments that do not add up
        raise PhotoRejected(f"{label}: the image is damaged or incomplete ({exc})", key="finds.reject.corrupt",
                            name=label, reason=str(exc)) from None
    return PreparedPhoto(label, data, sha1_hex(data), info, publish, thumb)


def _lossless_publish(data: bytes, keep_gps: bool, taken: str | None) -> bytes:
    """The publish copy of a JPEG that needs no rotation: byte work on its segments and the
    EXIF block (Pillow reads the header only), no pixels, so it is done outside the worker."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on odd EXIF; what it cannot read is left out
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open_image(io.BytesIO(data), "jpeg") as im:
            clean = _clean_exif(im.getexif(), keep_gps=keep_gps, taken=taken)
    return _lossless_jpeg(data, clean, good_icc(jpeg_icc(jpeg_segments(data))))


def render_copies(data: bytes, fmt: str, orientation: int | None, keep_gps: bool,
                  taken: str | None = None, thumb_only: bool = False) -> tuple[bytes | None, bytes]:
    """The publish JPEG (None with ``thumb_only``) and the thumbnail: the pixel work, run in a
    decode worker. Raises what Pillow raises (the caller turns it into a refusal)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open_image(io.BytesIO(data), fmt) as im:
            if im.width * im.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{im.width}x{im.height} pixels")
            if thumb_only:
                # Only the thumbnail needs pixels: decode at 1/8 scale (still reads every byte,
                # so damaged data is caught). The thumbnail's own size, not a THUMB_SIZE square:
                # for a 4:3 photo the square made Pillow pick 1/4 scale (the short side must
                # reach 480) and decode 4x the pixels.
                im.draft("RGB", _thumb_box(im.size))
                im.load()
                publish = None
                thumb = _flatten(im)
            else:
                exif = im.getexif()
                clean = _clean_exif(exif, keep_gps=keep_gps, taken=taken)
                icc = good_icc(im.info.get("icc_profile"))
                im.load()
                if fmt in ("jpeg", "png", "webp"):
                    # HEIF containers carry rotation in their own boxes, which the decoder applies.
                    im = _upright(im, _orientation(exif.get(0x0112)))
                thumb = _flatten(im)
                pbuf = io.BytesIO()
                thumb.save(pbuf, "JPEG", quality=PUBLISH_QUALITY, exif=clean, **({"icc_profile": icc} if icc else {}))
                publish = pbuf.getvalue()
            thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
            tbuf = io.BytesIO()
            thumb.save(tbuf, "JPEG", quality=80)
    return publish, tbuf.getvalue()


def _thumb_box(size: tuple[int, int]) -> tuple[int, int]:
    """The size a THUMB_SIZE thumbnail of an image of ``size`` will have (rounded up)."""
    w, h = size
    scale = THUMB_SIZE / max(w, h, 1)
    return max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))


def _flatten(im):
    """RGB for JPEG: transparency on white, 16-bit and palette images converted."""
    from PIL import Image

    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(im, mask=im.getchannel("A"))
        return bg
    return im if im.mode == "RGB" else im.convert("RGB")
