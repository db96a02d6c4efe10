"""Photos from phones and cameras: what they are, where and when they were taken,
and the copies wikitown keeps (a JPEG to publish, a thumbnail).

* The type comes from the bytes, never the name: JPEG, PNG, HEIC/HEIF, WebP, AVIF.
* GPS, time taken and orientation are read with exifread (fast: it never decodes
  pixels) and, where exifread raises or finds nothing, with Pillow (pillow-heif
  registered). Both fail on real files in different ways
  (``../shared/notes/field-facts.md``), so every value is checked: 0/0 rationals,
  NaN and out-of-range coordinates mean "no GPS".
* :func:`prepare_photo` validates a whole upload (size, type, decompression
  bombs, corrupt data) and makes the publish JPEG: HEIC and friends converted,
  orientation applied, device identifiers (serial numbers, owner name, maker
  notes) removed while GPS and the dates are kept.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
import struct
import unicodedata
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wikitown.core.errors import InputError

# Bigger than any phone camera (200 MP sensors bin to 50 MP files), far smaller
# than what a decompression bomb claims.
MAX_PIXELS = 120_000_000
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
                 (b"MM\x00*", "tiff"))

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
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    error: str | None = None
    error_key: str | None = None
    error_params: dict = field(default_factory=dict)

    @property
    def has_gps(self) -> bool:
        return self.lat is not None and self.lon is not None

    def as_json(self) -> dict:
        data = asdict(self)
        for key in ("error_key", "error_params", "width", "height"):
            data.pop(key)
        return data


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


_DT_RE = re.compile(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")


def _iso_taken(text, offset=None) -> str | None:
    if isinstance(text, bytes):
        text = text.decode("ascii", "ignore")
    m = _DT_RE.match(str(text or ""))
    if not m:
        return None
    try:
        value = dt.datetime(*(int(g) for g in m.groups()))
    except ValueError:  # 0000:00:00 00:00:00 and other placeholders
        return None
    iso = value.isoformat()
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "ignore")
    om = _OFFSET_RE.match(str(offset or ""))
    if om and int(om.group(2)) <= 14:
        iso += f"{om.group(1)}{om.group(2)}:{om.group(3)}"
    return iso


def _orientation(value) -> int | None:
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 8 else None


def _jpeg_exif_head(head: bytes, source, data: bytes | None) -> bytes:
    """The start of a JPEG up to the end of its EXIF segment (read further when an earlier
    APP segment pushed it past the head)."""
    pos, n = 2, len(head)
    while pos + 4 <= n and head[pos] == 0xFF:
        marker = head[pos + 1]
        length = int.from_bytes(head[pos + 2:pos + 4], "big")
        end = pos + 2 + length
        if marker == 0xE1 and head[pos + 4:pos + 10] == b"Exif\x00\x00":
            break
        if marker == 0xDA or not (0xE0 <= marker <= 0xEF or marker == 0xFE) or length < 2:
            return head  # no EXIF before the image data
        pos = end
    else:
        if pos + 4 <= n or pos > 20 * 65536:
            return head
    need = pos + 4 + 65536
    if need <= n:
        return head
    if data is not None:
        return data[:need]
    with open(source, "rb") as fh:
        return fh.read(need)


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
    taken = tags.get("EXIF DateTimeOriginal")
    out["taken"] = _iso_taken(_tag_text(taken), _tag_text(tags.get("EXIF OffsetTimeOriginal"))) if taken else None
    orient = tags.get("Image Orientation")
    out["orientation"] = _orientation(orient.values[0]) if orient is not None and orient.values else None
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


def _open_image(stream, fmt: str):
    from PIL import Image

    if fmt in ("heic", "heif", "avif"):
        register_heif()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image.open(stream)


def _from_pillow(im) -> dict:
    from PIL import ExifTags

    exif = im.getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    lat = lon = None
    if 2 in gps and 4 in gps:
        lat, lon = _dms(gps[2], gps.get(1)), _dms(gps[4], gps.get(3))
    out = {}
    out["lat"], out["lon"] = _valid_latlon(lat, lon)
    out["taken"] = _iso_taken(sub.get(0x9003), sub.get(0x9011))
    out["orientation"] = _orientation(exif.get(0x0112))
    return out


def _fail(info: PhotoInfo, key: str, message: str, **params) -> PhotoInfo:
    info.error, info.error_key, info.error_params = message, key, params
    return info


def read_photo(source: bytes | str | Path, *, name: str | None = None, dimensions: bool = False) -> PhotoInfo:
    """Read a photo's type, GPS, time taken and orientation. Never raises for a bad
    file: the problem is in ``error``. ``dimensions=True`` also opens the image
    header with Pillow for width and height (photo-info skips it for speed)."""
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
    if fmt not in FORMATS:
        info.format = fmt
        return _fail(info, "finds.reject.unsupported", f"{fmt.upper()} images are not taken; "
                     "send JPEG, PNG, HEIC/HEIF, WebP or AVIF", format=fmt.upper())
    info.format = fmt

    def whole():
        nonlocal data
        if data is None:
            data = Path(source).read_bytes()
        return data

    found: dict = {}
    exif_ok = False
    # exifread: only for types whose EXIF it finds reliably; the header is enough for
    # JPEG (APP1 is at the start), HEIF needs the whole file (EXIF can sit anywhere).
    try:
        stream = io.BytesIO(_jpeg_exif_head(head, source, data) if fmt == "jpeg" else whole())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = _from_exifread(stream)
        exif_ok = found.pop("any")
    except Exception as exc:  # noqa: BLE001 - exifread raises anything on odd files (field-facts.md)
        log.debug("exifread failed on %s: %r", label, exc)
        found = {}
    # Where exifread read the EXIF block, Pillow reads the same block the same way (checked on
    # every sample in ../shared/data/photos); it is needed only where exifread raised or saw nothing.
    need_pillow = dimensions or not exif_ok
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
            if type(exc).__name__ == "DecompressionBombError":
                return _fail(info, "finds.reject.bomb", f"too many pixels for a photo ({exc})",
                             width="?", height="?")
            return _fail(info, "finds.reject.corrupt", f"the image is damaged or incomplete ({exc})", reason=str(exc))
        for key in ("taken", "orientation"):
            if found.get(key) is None:
                found[key] = fallback.get(key)
        if found.get("lat") is None and fallback.get("lat") is not None:
            found["lat"], found["lon"] = fallback["lat"], fallback["lon"]
    info.lat, info.lon = found.get("lat"), found.get("lon")
    info.taken, info.orientation = found.get("taken"), found.get("orientation")
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


def _clean_exif(src, *, keep_gps: bool) -> bytes:
    from PIL import ExifTags, Image

    sub = src.get_ifd(ExifTags.IFD.Exif)
    kept = {k: v for k, v in sub.items() if k in _KEEP_EXIF}
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


def _lossless_jpeg(data: bytes, exif: bytes) -> bytes:
    """The same JPEG with its metadata segments replaced by ``exif``: not re-encoded,
    so Commons gets the camera's own pixels."""
    out = [b"\xff\xd8"]
    app1 = b"\xff\xe1" + (len(exif) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + exif
    placed = False
    for marker, seg in _jpeg_segments(data):
        keep = (marker == 0xE0 and seg[4:9] == b"JFIF\x00") or (marker == 0xE2 and seg[4:16] == b"ICC_PROFILE\x00") \
            or marker == 0xEE or not (0xE0 <= marker <= 0xEF or marker == 0xFE)
        if not placed and not (marker == 0xE0 and keep):
            out.append(app1)
            placed = True
        if keep:
            out.append(seg)
    if len(app1) > 65535 + 2:
        raise ValueError("EXIF too big")
    return b"".join(out)


def prepare_photo(data: bytes, name: str = "", *, max_bytes: int) -> PreparedPhoto:
    """Validate one upload and make its publish JPEG and thumbnail.
    Raises :class:`PhotoRejected` with the reason; never anything else for bad bytes."""
    from PIL import Image

    from wikitown.store.media import sha1_hex

    label = safe_name(name)
    if len(data) > max_bytes:
        raise PhotoRejected(f"{label}: larger than {max_bytes / 1e6:.0f} MB", key="finds.reject.too_large",
                            name=label, size_mb=f"{len(data) / 1e6:.1f}", max_mb=f"{max_bytes / 1e6:.0f}")
    info = read_photo(data, name=label, dimensions=True)
    if info.error:
        raise PhotoRejected(f"{label}: {info.error}", key=info.error_key, name=label, **info.error_params)
    if (info.width or 0) * (info.height or 0) > MAX_PIXELS:
        raise PhotoRejected(f"{label}: {info.width}x{info.height} pixels is too many (a decompression bomb?)",
                            key="finds.reject.bomb", name=label, width=info.width, height=info.height)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_image(io.BytesIO(data), info.format) as im:
                exif = im.getexif()
                clean = _clean_exif(exif, keep_gps=info.has_gps)
                lossless = info.format == "jpeg" and (info.orientation or 1) == 1
                if lossless:
                    # Only the thumbnail needs pixels: decode at 1/8 scale (still reads every byte,
                    # so damaged data is caught), and keep the camera's own JPEG for publishing.
                    # The thumbnail's own size, not a THUMB_SIZE square: for a 4:3 photo the square
                    # made Pillow pick 1/4 scale (the short side must reach 480) and decode 4x the pixels.
                    im.draft("RGB", _thumb_box(im.size))
                    im.load()
                    publish = _lossless_jpeg(data, clean)
                    thumb = _flatten(im)
                else:
                    im.load()
                    if info.format in ("jpeg", "png", "webp"):
                        # HEIF containers carry rotation in their own boxes, which the decoder applies.
                        im = _upright(im, _orientation(exif.get(0x0112)))
                    thumb = _flatten(im)
                    pbuf = io.BytesIO()
                    icc = im.info.get("icc_profile")
                    thumb.save(pbuf, "JPEG", quality=PUBLISH_QUALITY, exif=clean, **({"icc_profile": icc} if icc else {}))
                    publish = pbuf.getvalue()
                thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
                tbuf = io.BytesIO()
                thumb.save(tbuf, "JPEG", quality=80)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected(f"{label}: too many pixels (a decompression bomb?): {exc}", key="finds.reject.bomb",
                            name=label, width=info.width, height=info.height) from None
    except PhotoRejected:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError, RuntimeError) as exc:
        raise PhotoRejected(f"{label}: the image is damaged or incomplete ({exc})", key="finds.reject.corrupt",
                            name=label, reason=str(exc)) from None
    except MemoryError:
        raise PhotoRejected(f"{label}: too large to decode", key="finds.reject.bomb", name=label,
                            width=info.width, height=info.height) from None
    return PreparedPhoto(label, data, sha1_hex(data), info, publish, tbuf.getvalue())


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
