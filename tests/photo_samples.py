"""Photos made on the fly for tests: real encoders (Pillow, pillow-heif), chosen EXIF."""

from __future__ import annotations

import io
import json
import zlib
from fractions import Fraction

from PIL import Image, ImageDraw

from tests.harness import PROJECT_ROOT
from tests.harness.requirements import shared_data

PHOTOS = PROJECT_ROOT / "tests" / "data" / "photos"

# exiftool's FileType -> wikitown's format name
FILE_TYPES = {"JPEG": "jpeg", "PNG": "png", "HEIC": "heic", "HEIF": "heif", "Extended WEBP": "webp",
              "WEBP": "webp", "AVIF": "avif"}


def sample_photo(*parts: str):
    """A real photo in tests/data/photos (``sample_photo("exifr", "heic-iphone7.heic")``)."""
    return shared_data("photos", *parts)


def expected_names() -> list[str]:
    """For parametrize: the sample names in tests/data/photos/EXPECTED.json (what exiftool reads)."""
    return sorted(json.loads((PROJECT_ROOT / "tests" / "data" / "photos" / "EXPECTED.json").read_text()))


def expected() -> dict:
    return json.loads(shared_data("photos", "EXPECTED.json").read_text())


def _dms(value: float):
    value = abs(value)
    deg = int(value)
    minutes = int((value - deg) * 60)
    seconds = Fraction(round(((value - deg) * 60 - minutes) * 60 * 10000), 10000)
    return (Fraction(deg), Fraction(minutes), seconds)


def exif_bytes(*, lat=None, lon=None, taken="2026:11:28 10:30:00", orientation=1, serial=None, owner=None,
               artist=None, maker_note=None, raw_gps=None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestMake"
    exif[0x0110] = "TestModel 1"
    if orientation:
        exif[0x0112] = orientation
    if artist:
        exif[0x013B] = artist
    sub = {}
    if taken:
        sub[0x9003] = taken
    if serial:
        sub[0xA431] = serial
    if owner:
        sub[0xA430] = owner
    if maker_note:
        sub[0x927C] = maker_note
    if sub:
        exif[0x8769] = sub
    if raw_gps is not None:
        exif[0x8825] = raw_gps
    elif lat is not None:
        exif[0x8825] = {0: b"\x02\x02\x00\x00", 1: "N" if lat >= 0 else "S", 2: _dms(lat),
                        3: "E" if lon >= 0 else "W", 4: _dms(lon)}
    return exif.tobytes()


def make_image(size=(64, 48), color=(200, 40, 40), seed: int = 0) -> Image.Image:
    im = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(im)
    draw.rectangle([0, 0, size[0] // 2, size[1] // 3], fill=((seed * 37) % 256, (seed * 91) % 256, seed % 256))
    draw.text((2, size[1] // 2), str(seed), fill=(255, 255, 255))
    return im


def jpeg(size=(64, 48), seed=0, quality=85, **exif) -> bytes:
    buf = io.BytesIO()
    make_image(size, seed=seed).save(buf, "JPEG", quality=quality, exif=exif_bytes(**exif))
    return buf.getvalue()


def encoded(fmt: str, size=(64, 48), seed=0, **exif) -> bytes:
    if fmt in ("HEIF",):
        import pillow_heif

        pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    make_image(size, seed=seed).save(buf, fmt, exif=exif_bytes(**exif), **({"quality": 80} if fmt != "PNG" else {}))
    return buf.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny PNG whose header claims a huge image (the pixels are never there)."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8  # length(4) type(4) data(13) crc(4)
    data[ihdr + 8:ihdr + 12] = width.to_bytes(4, "big")
    data[ihdr + 12:ihdr + 16] = height.to_bytes(4, "big")
    crc = zlib.crc32(bytes(data[ihdr + 4:ihdr + 8 + 13]))
    data[ihdr + 21:ihdr + 25] = crc.to_bytes(4, "big")
    return bytes(data)


# --------------------------------------------------------------------------------------------
# decompression bombs: tiny files whose headers declare huge images (docs/bad-input.md)


def _solid(fmt: str, **kw) -> bytes:
    if fmt in ("HEIF", "AVIF"):
        import pillow_heif

        pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(buf, fmt, **kw)
    return buf.getvalue()


def webp_lossless_bomb(width=10_000, height=11_999) -> bytes:
    """The 38-byte lossless WebP of issue 13: one colour, so any size costs no more bytes; it
    decodes (to width × height × 4 bytes) with every decoder."""
    data = bytearray(_solid("WEBP", lossless=True))
    bits = int.from_bytes(data[21:25], "little")
    bits = (bits & ~0x0FFFFFFF) | (width - 1) | ((height - 1) << 14)
    data[21:25] = bits.to_bytes(4, "little")
    return bytes(data)


def webp_lossy_bomb(width=16_383, height=16_383) -> bytes:
    data = bytearray(_solid("WEBP", quality=50))
    data[26:28] = width.to_bytes(2, "little")
    data[28:30] = height.to_bytes(2, "little")
    return bytes(data)


def webp_extended_bomb(width=16_000, height=16_000) -> bytes:
    """VP8X (the extended WebP phones write with EXIF): the canvas size in the header."""
    data = bytearray(encoded("WEBP", size=(16, 16), lat=35.0, lon=139.0))
    assert data[12:16] == b"VP8X"
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def jpeg_bomb(width=65_000, height=65_000) -> bytes:
    data = bytearray(jpeg(size=(16, 16)))
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC2):
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    data[pos + 5:pos + 7] = height.to_bytes(2, "big")
    data[pos + 7:pos + 9] = width.to_bytes(2, "big")
    return bytes(data)


def heif_bomb(fmt="HEIF", width=30_000, height=30_000) -> bytes:
    """HEIC or AVIF whose ``ispe`` box (the item's size) declares a huge image."""
    data = bytearray(_solid(fmt, quality=50))
    pos = data.index(b"ispe")
    data[pos + 8:pos + 12] = width.to_bytes(4, "big")
    data[pos + 12:pos + 16] = height.to_bytes(4, "big")
    return bytes(data)


def bombs() -> dict[str, bytes]:
    """name -> bytes: one bomb per format wikitown takes."""
    return {"lossless.webp": webp_lossless_bomb(), "lossy.webp": webp_lossy_bomb(),
            "extended.webp": webp_extended_bomb(), "bomb.jpg": jpeg_bomb(), "bomb.png": png_bomb(),
            "bomb.heic": heif_bomb("HEIF"), "bomb.avif": heif_bomb("AVIF"),
            "just-under.webp": webp_lossless_bomb(7_000, 8_000)}  # 56 MP: under the cap, but 38 bytes
