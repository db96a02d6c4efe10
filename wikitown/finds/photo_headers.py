"""What an image file declares about itself before any pixel is decoded: its size in pixels
(JPEG SOF, PNG IHDR, WebP VP8/VP8L/VP8X, HEIF/AVIF ``ispe``) and, for JPEG, its metadata
segments. Pure byte parsing: a 38-byte file that claims 10000 × 12000 pixels is caught here,
before a decoder allocates anything (docs/bad-input.md).
"""

from __future__ import annotations

import struct

# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): not C4 (DHT),
# C8 (reserved), CC (DAC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# Boxes of an ISO media file (HEIF, AVIF, JPEG XL container) that hold other boxes.
_CONTAINERS = {b"meta", b"iprp", b"ipco", b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf"}
_MAX_BOXES = 4096  # a real HEIC has a few hundred; a crafted one cannot make the walk slow


def jpeg_segments(data: bytes, limit: int | None = None):
    """``(marker, payload)`` for each JPEG segment before the image data (the payload without
    marker and length). Stops at SOS, at anything that is not a marker, or at ``limit`` bytes."""
    pos, end = 2, len(data) if limit is None else min(len(data), limit)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker in (0xDA, 0xD9):
            return
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2:
            return
        yield marker, data[pos + 4:pos + 2 + length]
        pos += 2 + length


def jpeg_meta_end(data: bytes) -> int | None:
    """Where the last segment before the frame header ends, or None when ``data`` stops
    inside the segments (the caller reads more of the file)."""
    pos, n = 2, len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return pos
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _SOF or marker in (0xDA, 0xD9):
            return pos + 4
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2:
            return pos
        pos += 2 + length
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    for marker, payload in jpeg_segments(data):
        if marker in _SOF:
            if len(payload) < 5:
                return None
            height, width = struct.unpack(">HH", payload[1:5])
            return width, height
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _webp_size(data: bytes) -> tuple[int, int] | None:
    kind, chunk = data[12:16], data[20:]
    if kind == b"VP8X" and len(chunk) >= 10:
        return 1 + int.from_bytes(chunk[4:7], "little"), 1 + int.from_bytes(chunk[7:10], "little")
    if kind == b"VP8L" and len(chunk) >= 5 and chunk[0] == 0x2F:
        bits = int.from_bytes(chunk[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if kind == b"VP8 " and len(chunk) >= 10 and chunk[3:6] == b"\x9d\x01\x2a":
        return int.from_bytes(chunk[6:8], "little") & 0x3FFF, int.from_bytes(chunk[8:10], "little") & 0x3FFF
    return None


def iso_boxes(data: bytes, start: int = 0, end: int | None = None, depth: int = 0, budget: list | None = None):
    """``(type, payload start, payload end)`` of every box, depth first, inside the containers
    that matter here. Never reads past ``data``; stops on a box that does not fit."""
    end = len(data) if end is None else min(end, len(data))
    budget = budget if budget is not None else [_MAX_BOXES]
    pos = start
    while pos + 8 <= end and budget[0] > 0:
        budget[0] -= 1
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        head = 8
        if size == 1:
            if pos + 16 > end:
                return
            size, head = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            return
        yield kind, pos + head, pos + size
        if kind in _CONTAINERS and depth < 8:
            inner = pos + head + (4 if kind == b"meta" else 0)  # meta is a full box (version, flags)
            yield from iso_boxes(data, inner, pos + size, depth + 1, budget)
        pos += size


def _heif_size(data: bytes) -> tuple[int, int] | None:
    """The largest ``ispe`` (image spatial extent) of any item: a grid's full size, or the
    primary image's; what a decoder will allocate at most for one image."""
    best = None
    for kind, start, end in iso_boxes(data):
        if kind == b"ispe" and end - start >= 12:
            width, height = struct.unpack(">II", data[start + 4:start + 12])
            if best is None or width * height > best[0] * best[1]:
                best = (width, height)
    return best


def declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Width and height as the header states them, or None when the header does not say."""
    try:
        if fmt == "jpeg":
            return _jpeg_size(data)
        if fmt == "png":
            return _png_size(data)
        if fmt == "webp":
            return _webp_size(data)
        if fmt in ("heic", "heif", "avif"):
            return _heif_size(data)
    except (struct.error, IndexError, ValueError):
        return None
    return None
