"""Fuzzing the photo reader: bad bytes give an error, never a crash.

``read_photo`` never raises; ``prepare_photo`` raises only ``PhotoRejected``. Inputs: random
bytes, real JPEG/PNG/WebP/HEIC bytes (made with Pillow and pillow-heif, plus the small samples
in tests/data/photos) with byte flips, truncations and spliced EXIF segments,
and hand-built EXIF blocks with hostile values (huge and 0/0 rationals, negatives, NaN strings,
absurd dimensions). Derandomized so a CI failure reproduces; sized to run in seconds.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import struct
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.harness import PROJECT_ROOT
from tests.photo_samples import encoded, jpeg, png_bomb
from wikitown.finds.photos import THUMB_SIZE, PhotoInfo, PhotoRejected, prepare_photo, read_photo

FUZZ = settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 150)), deadline=None, derandomize=not __import__("os").environ.get("FUZZ_RANDOM"), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MAX_BYTES = 5_000_000


def check_info(info: PhotoInfo) -> None:
    """What a PhotoInfo may hold, whatever the input."""
    assert isinstance(info, PhotoInfo)
    if info.error:
        assert info.error_key and info.error_key.startswith("finds.reject.")
        return
    assert info.format in ("jpeg", "png", "heic", "heif", "webp", "avif")
    assert (info.lat is None) == (info.lon is None)
    if info.lat is not None:
        assert math.isfinite(info.lat) and math.isfinite(info.lon)
        assert -90 <= info.lat <= 90 and -180 <= info.lon <= 180
    if info.taken is not None:
        dt.datetime.fromisoformat(info.taken)
    assert info.orientation is None or 1 <= info.orientation <= 8


def check_prepare(data: bytes) -> None:
    try:
        prepared = prepare_photo(data, "fuzz.jpg", max_bytes=MAX_BYTES)
    except PhotoRejected as exc:
        assert exc.key.startswith("finds.reject."), exc.key
        return
    check_info(prepared.info)
    assert prepared.publish[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(prepared.thumb)) as thumb:
        assert max(thumb.size) <= THUMB_SIZE


# --------------------------------------------------------------------------------------------
# seeds: real encoded photos


@lru_cache(maxsize=None)
def seeds() -> tuple[bytes, ...]:
    gps = dict(lat=34.8667, lon=138.3228)
    made = [jpeg(size=(32, 24), **gps), jpeg(size=(24, 32), orientation=6), encoded("PNG", size=(24, 16), **gps),
            encoded("WEBP", size=(24, 16), **gps), encoded("HEIF", size=(32, 32), **gps)]
    real = PROJECT_ROOT / "tests" / "data" / "photos"
    # small real files only: the fuzz run must stay short
    made += [p.read_bytes() for p in sorted(real.rglob("*")) if p.is_file() and p.suffix != ".json"
             and p.stat().st_size < 12_000]
    return tuple(made)


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(0, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


# --------------------------------------------------------------------------------------------
# hand-built EXIF (TIFF) with hostile values

ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 2, 3, 4, 5, 10


def tiff(ifd0: list, exif: list, gps: list) -> bytes:
    """A little-endian TIFF block. Entries: (tag, type, count, payload bytes)."""
    def size(entries):
        return 2 + 12 * len(entries) + 4

    pointers = [(0x8769, LONG, 1, b""), (0x8825, LONG, 1, b"")]
    ifd0 = [e for e in ifd0 if e[0] not in (0x8769, 0x8825)] + pointers
    offsets = {}
    pos = 8
    layout = [("ifd0", ifd0), ("exif", exif), ("gps", gps)]
    for name, entries in layout:
        offsets[name] = pos
        pos += size(entries)
    data_start = pos
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    extra = bytearray()
    for name, entries in layout:
        out += struct.pack("<H", len(entries))
        for tag, typ, count, payload in sorted(entries, key=lambda e: e[0]):
            if name == "ifd0" and tag == 0x8769:
                payload = struct.pack("<I", offsets["exif"])
            elif name == "ifd0" and tag == 0x8825:
                payload = struct.pack("<I", offsets["gps"])
            if len(payload) <= 4:
                out += struct.pack("<HHI", tag, typ, count) + payload.ljust(4, b"\x00")
            else:
                out += struct.pack("<HHII", tag, typ, count, data_start + len(extra))
                extra += payload + (b"\x00" if len(payload) % 2 else b"")
        out += struct.pack("<I", 0)
    return bytes(out + extra)


u32 = st.integers(0, 2**32 - 1)
s32 = st.integers(-2**31, 2**31 - 1)
hostile_text = st.one_of(st.sampled_from(["NaN", "nan", "inf", "-1", "2026:13:45 25:61:61", "0000:00:00 00:00:00",
                                          "9999:99:99 99:99:99", "+99:99", "-00:00", "N", "S", "\x00", ""]),
                         st.text(max_size=30))


@st.composite
def rational_triplet(draw):
    typ = draw(st.sampled_from([RATIONAL, SRATIONAL]))
    count = draw(st.integers(0, 4))
    nums = st.sampled_from([0, 1, 2**32 - 1, 2**31]) | u32 if typ == RATIONAL else s32
    values = []
    for _ in range(count):
        values += [draw(nums), draw(st.sampled_from([0, 1, 2**32 - 1]) | u32 if typ == RATIONAL else s32)]
    fmt = "<" + ("I" if typ == RATIONAL else "i") * len(values)
    return typ, count, struct.pack(fmt, *values)


@st.composite
def hostile_exif(draw):
    def ascii_(text):
        raw = text.encode("utf-8", "replace")[:40] + b"\x00"
        return ASCII, len(raw), raw

    gps = []
    for tag in (1, 3):
        if draw(st.booleans()):
            gps.append((tag, *ascii_(draw(hostile_text))))
    for tag in (2, 4):
        if draw(st.integers(0, 4)):
            gps.append((tag, *draw(rational_triplet())))
    if draw(st.booleans()):  # a ref or a value with the wrong type entirely
        gps.append((draw(st.sampled_from([1, 2, 3, 4])), SHORT, 1, struct.pack("<H", draw(st.integers(0, 65535)))))
    ifd0 = [(0x0112, SHORT, 1, struct.pack("<H", draw(st.integers(0, 65535))))]
    exif = [(0x9003, *ascii_(draw(hostile_text)))]
    if draw(st.booleans()):
        exif.append((0x9011, *ascii_(draw(hostile_text))))
    if draw(st.booleans()):  # absurd pixel dimensions claimed in EXIF
        exif += [(0xA002, LONG, 1, struct.pack("<I", draw(u32))), (0xA003, LONG, 1, struct.pack("<I", draw(u32)))]
    if draw(st.booleans()):  # a count far past the block's end
        exif.append((0x9286, ASCII, draw(st.integers(1000, 2**32 - 1)), struct.pack("<I", draw(u32))))
    return tiff(ifd0, exif, gps)


def splice_exif(photo: bytes, block: bytes) -> bytes:
    """The JPEG with ``block`` as its first segment after SOI (an APP1 EXIF segment)."""
    segment = b"Exif\x00\x00" + block
    return photo[:2] + b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment + photo[2:]


# --------------------------------------------------------------------------------------------
# the tests


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    check_info(read_photo(data))
    check_prepare(data)


@FUZZ
@given(st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP",
                        b"\x00\x00\x00\x18ftypheic", b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00avif"]),
       st.binary(max_size=2048))
def test_random_bytes_after_a_real_magic_number(magic, rest):
    check_info(read_photo(magic + rest))
    check_prepare(magic + rest)


@FUZZ
@given(mutated())
def test_flipped_and_truncated_real_photos(data):
    check_info(read_photo(data))
    check_prepare(data)


@FUZZ
@given(st.sampled_from(range(2)), hostile_exif())
def test_hostile_exif_values_in_a_jpeg(seed, block):
    data = splice_exif(seeds()[seed], block)
    info = read_photo(data)
    check_info(info)
    assert not info.error  # the pixels are fine: odd EXIF is no EXIF, not a bad photo
    check_prepare(data)


@FUZZ
@given(st.sampled_from(["PNG", "WEBP"]), hostile_exif())
def test_hostile_exif_values_in_png_and_webp(fmt, block):
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 200, 30)).save(buf, fmt, exif=b"Exif\x00\x00" + block)
    check_info(read_photo(buf.getvalue()))
    check_prepare(buf.getvalue())


@FUZZ
@given(st.sampled_from(range(2)), st.binary(min_size=0, max_size=600))
def test_random_exif_segment_spliced_in(seed, block):
    data = splice_exif(seeds()[seed], block)
    check_info(read_photo(data))
    check_prepare(data)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1))
def test_absurd_dimensions_in_png_header(width, height):
    data = png_bomb(width, height)
    check_info(read_photo(data, dimensions=True))
    check_prepare(data)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 65535), st.integers(0, 65535))
def test_absurd_dimensions_in_jpeg_frame_header(width, height):
    data = bytearray(seeds()[0])
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    check_info(read_photo(bytes(data), dimensions=True))
    check_prepare(bytes(data))


# --------------------------------------------------------------------------------------------
# regressions found by the fuzzer


def _gps_entries(lat=(34, 52, 0), lon=(138, 19, 22)):
    return [(1, ASCII, 2, b"N\x00"), (2, RATIONAL, 3, struct.pack("<6I", *(v for d in lat for v in (d, 1)))),
            (3, ASCII, 2, b"E\x00"), (4, RATIONAL, 3, struct.pack("<6I", *(v for d in lon for v in (d, 1))))]


def test_negative_srational_gps_longitude_in_png_is_kept_out_not_a_crash():
    """Pillow's exif_transpose re-wrote this EXIF and raised struct.error (a negative number
    in a tag Pillow writes as unsigned RATIONAL)."""
    block = tiff([(0x0112, SHORT, 1, struct.pack("<H", 2))], [], [(4, SRATIONAL, 1, struct.pack("<ii", -1, 0))])
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 200, 30)).save(buf, "PNG", exif=b"Exif\x00\x00" + block)
    prepared = prepare_photo(buf.getvalue(), "x.png", max_bytes=MAX_BYTES)
    assert not prepared.info.has_gps
    with Image.open(io.BytesIO(prepared.publish)) as im:
        assert im.size == (16, 12) and im.getexif().get(0x0112) == 1


def test_negative_srational_gps_altitude_beside_valid_gps_publishes_without_gps_block():
    """Valid GPS is kept in the publish copy; an unwritable altitude next to it made
    _clean_exif raise struct.error. Now the GPS block that cannot be written is left out."""
    block = tiff([(0x0112, SHORT, 1, struct.pack("<H", 1))], [(0x9003, ASCII, 20, b"2026:11:28 10:30:00\x00")],
                 _gps_entries() + [(6, SRATIONAL, 1, struct.pack("<ii", -5, 1))])
    data = splice_exif(seeds()[0], block)
    prepared = prepare_photo(data, "x.jpg", max_bytes=MAX_BYTES)
    assert prepared.info.has_gps and prepared.info.taken == "2026-11-28T10:30:00"
    with Image.open(io.BytesIO(prepared.publish)) as im:
        exif = im.getexif()
        assert exif.get_ifd(0x8769).get(0x9003) == "2026:11:28 10:30:00"


# --------------------------------------------------------------------------------------------
# the header and metadata parsers on their own (XMP, IPTC, ISO boxes, declared sizes)


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from(["jpeg", "png", "webp", "heic", "avif"]))
def test_header_and_metadata_parsers_never_raise(data, fmt):
    from wikitown.finds.photo_headers import declared_size, iso_boxes, jpeg_segments
    from wikitown.finds.photo_meta import good_icc, iptc_from_app13, iso_datetime, parse_iptc, parse_xmp

    size = declared_size(data, fmt)
    assert size is None or (len(size) == 2 and all(isinstance(v, int) and v >= 0 for v in size))
    assert all(isinstance(kind, bytes) and s <= e <= len(data) for kind, s, e in iso_boxes(data))
    list(jpeg_segments(b"\xff\xd8" + data))
    for parsed in (parse_iptc(data), parse_iptc(iptc_from_app13(b"Photoshop 3.0\x00" + data)),
                   parse_xmp(b"<x:xmpmeta>" + data)):
        for iso in parsed["dates"].values():
            dt.datetime.fromisoformat(iso)
        assert all(isinstance(v, str) for v in parsed["authors"].values())
    assert good_icc(data) is None or len(data) <= 24 * 1024
    text = data.decode("latin-1")
    if (iso := iso_datetime(text, date_only_ok=True)) is not None:
        dt.datetime.fromisoformat(iso)
