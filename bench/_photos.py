"""Photos for the benchmarks: one realistic camera-sized JPEG, made distinct cheaply."""

from __future__ import annotations

import io


def camera_jpeg(target_mb: float = 5.0, size=(4032, 3024), lat=34.894452, lon=138.322446) -> bytes:
    """A 12 MP JPEG of about ``target_mb`` with GPS and a date, like a phone's."""
    import random

    from PIL import Image, ImageFilter

    rnd = random.Random(42)
    small = Image.frombytes("RGB", (size[0] // 8, size[1] // 8), bytes(rnd.getrandbits(8) for _ in
                                                                       range(size[0] // 8 * size[1] // 8 * 3)))
    im = small.resize(size, Image.BILINEAR).filter(ImageFilter.DETAIL)
    noise = Image.effect_noise(size, 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Bench", "Phone", 1
    exif[0x8769] = {0x9003: "2026:11:28 10:30:00", 0xA431: "SERIAL-0001"}
    from fractions import Fraction

    def dms(v):
        d = int(v); m = int((v - d) * 60); s = Fraction(round(((v - d) * 60 - m) * 60 * 1000), 1000)
        return (Fraction(d), Fraction(m), s)

    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    best = None
    for alpha in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6):
        buf = io.BytesIO()
        Image.blend(im, noise, alpha).save(buf, "JPEG", quality=92, exif=exif.tobytes())
        best = buf.getvalue()
        if len(best) >= target_mb * 1e6:
            break
    return best


def variant(jpeg: bytes, n: int) -> bytes:
    """The same picture with a different comment: different bytes (a different SHA-1), no re-encoding."""
    text = f"bench variant {n}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]
