"""FALLBACK ONLY: the JPEG to publish when a photo has no ``media.publish_path`` yet.

The finds feature (``wikitown/photos.py``) owns making the publishable JPEG;
this small stand-in is used only when that column is empty, and should be
merged into ``wikitown.photos`` later. Commons takes no HEIC, and photos should
not carry device identifiers (maker, model, serial numbers, owner name), but
GPS and the date taken are kept, as Commons wants them.

- a JPEG keeps its pixels: only its EXIF segment is rewritten (lossless);
  XMP, maker notes and the rest of the metadata segments are dropped;
- anything else Pillow opens (HEIC via pillow-heif, PNG, WebP) is decoded,
  turned upright (EXIF orientation applied) and saved as a JPEG.
"""

from __future__ import annotations

import io
import struct

from PIL import Image, ImageOps

from wikitown.errors import InputError

# EXIF tags kept: when and where (and orientation for the untouched JPEG pixels).
_KEEP_IFD0 = {0x0112, 0x0132}  # Orientation, DateTime
_KEEP_EXIF = {0x9003, 0x9004, 0x9010, 0x9011, 0x9012}  # DateTimeOriginal/Digitized, OffsetTime*
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
JPEG_QUALITY = 92


class ConvertError(InputError):
    key = "publish.error.convert"


def _register_heif() -> None:
    try:
        import pillow_heif  # noqa: PLC0415

        pillow_heif.register_heif_opener()
    except ImportError:  # HEIC then fails with a clear per-photo message
        pass


def clean_exif(source: Image.Exif, *, keep_orientation: bool) -> bytes:
    """EXIF bytes holding only the date taken, GPS and (optionally) orientation."""
    out = Image.Exif()
    for tag in _KEEP_IFD0:
        if tag in source and (keep_orientation or tag != 0x0112):
            out[tag] = source[tag]
    try:
        exif_ifd = source.get_ifd(_EXIF_IFD)
    except Exception:  # a broken EXIF sub-block: keep nothing from it
        exif_ifd = {}
    kept = {tag: value for tag, value in exif_ifd.items() if tag in _KEEP_EXIF}
    if kept:
        out.get_ifd(_EXIF_IFD).update(kept)
    try:
        gps = dict(source.get_ifd(_GPS_IFD))
    except Exception:
        gps = {}
    if gps:
        out.get_ifd(_GPS_IFD).update(gps)
    return out.tobytes()


def _jpeg_segments(data: bytes):
    """(marker, segment bytes) of a JPEG up to SOS, then the rest as one piece."""
    if data[:2] != b"\xff\xd8":
        raise ConvertError("not a JPEG", key="publish.error.convert", reason="not a JPEG")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ConvertError("broken JPEG", key="publish.error.convert", reason="broken JPEG markers")
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            yield marker, data[pos:]
            return
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        yield marker, data[pos:pos + 2 + length]
        pos += 2 + length
    raise ConvertError("truncated JPEG", key="publish.error.convert", reason="truncated JPEG")


def strip_jpeg(data: bytes) -> bytes:
    """The same JPEG pixels with EXIF reduced to date, GPS and orientation."""
    with Image.open(io.BytesIO(data)) as img:
        exif_bytes = clean_exif(img.getexif(), keep_orientation=True)
    out = [b"\xff\xd8"]
    wrote_exif = False
    for marker, segment in _jpeg_segments(data):
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:  # APP1..APP15 and comments: metadata
            continue
        if not wrote_exif and marker != 0xE0:  # after JFIF (APP0), before everything else
            payload = b"Exif\x00\x00" + exif_bytes if not exif_bytes.startswith(b"Exif") else exif_bytes
            if len(payload) + 2 < 65536:
                out.append(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
            wrote_exif = True
        out.append(segment)
    return b"".join(out)


def to_jpeg(data: bytes) -> bytes:
    """Decode any image Pillow reads, apply orientation, save as JPEG with date and GPS."""
    _register_heif()
    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            upright = ImageOps.exif_transpose(img)
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            buf = io.BytesIO()
            upright.save(buf, format="JPEG", quality=JPEG_QUALITY,
                         exif=clean_exif(exif, keep_orientation=False))
            return buf.getvalue()
    except ConvertError:
        raise
    except Exception as exc:
        raise ConvertError(f"cannot convert: {type(exc).__name__}", key="publish.error.convert",
                           reason=type(exc).__name__) from None


def publish_jpeg_fallback(data: bytes) -> bytes:
    """The bytes to upload for an original photo (see the module doc)."""
    if data[:2] == b"\xff\xd8":
        try:
            return strip_jpeg(data)
        except ConvertError:
            pass
        except Exception:  # an odd JPEG: re-encoding still gives a clean file
            pass
    return to_jpeg(data)
