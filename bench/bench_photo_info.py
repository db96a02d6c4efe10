"""photo-info against exiftool on the same thousands of files: same answers, wall time.

    python bench/bench_photo_info.py [--copies 2000] [--all-formats]

Copies the sample photos from tests/data/photos (JPEGs by default; --all-formats adds
PNG, HEIC, WebP, AVIF, TIFF and JPEG XL) into a temporary folder, then times both tools as whole processes:
  python -m wikitown photo-info --json FILES...
  exiftool -n -j -G1 -a -GPSLatitude -GPSLongitude <every capture-time tag> FILES...
Target: photo-info at least 10x faster, with the same latitude, longitude and capture time (the
first of the tags photo-info reads, in its order: tests/test_photos_exiftool.py does the same).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "tests" / "data" / "photos"
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=2000)
    ap.add_argument("--all-formats", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each tool; the best is reported")
    args = ap.parse_args()
    if not shutil.which("exiftool"):
        print("exiftool not installed (apt-get install libimage-exiftool-perl)")
        return 1
    samples = sorted(p for p in PHOTOS.rglob("*") if p.is_file() and p.name != "EXPECTED.json"
                     and (args.all_formats or p.suffix.lower() in (".jpg", ".jpeg")))
    if not samples:
        print(f"no sample photos under {PHOTOS}")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-photo-info-") as tmp:
        files = []
        for i in range(args.copies):
            src = samples[i % len(samples)]
            dest = Path(tmp) / f"{i:05d}_{src.name}"
            shutil.copyfile(src, dest)
            files.append(str(dest))
        size = sum(Path(f).stat().st_size for f in files)
        ours_cmd = [sys.executable, "-m", "wikitown", "photo-info", "--json", *files]
        theirs_cmd = ["exiftool", "-n", "-j", "-q", "-q", "-G1", "-a", "-GPSLatitude", "-GPSLongitude",
                      "-DateTimeOriginal", "-CreateDate", "-DateTimeDigitized", "-DateCreated", "-TimeCreated",
                      "-ModifyDate", "-OffsetTimeOriginal", "-OffsetTimeDigitized", "-OffsetTime", *files]
        ours_t, ours_out = _best(ours_cmd, args.repeat)
        theirs_t, theirs_out = _best(theirs_cmd, args.repeat)
    ours = {Path(r["file"]).name: r for r in json.loads(ours_out)}
    theirs = {Path(r["SourceFile"]).name: r for r in json.loads(theirs_out)}
    from tests.test_photos_exiftool import exiftool_capture

    differ = []
    for name, want in theirs.items():
        got = ours[name]
        lat, lon = want.get("Composite:GPSLatitude"), want.get("Composite:GPSLongitude")
        # exiftool prints a 0/0 or version-only GPS block as nothing or 0: "no GPS" for both.
        want_gps = None if lat in (None, "") or lon in (None, "") or (lat == 0 and lon == 0) else (lat, lon)
        got_gps = None if got["lat"] is None else (got["lat"], got["lon"])
        capture = exiftool_capture(want)
        taken = capture[0][:19] if capture else None
        same_gps = (want_gps is None and got_gps is None) or (
            want_gps and got_gps and abs(want_gps[0] - got_gps[0]) < 1e-5 and abs(want_gps[1] - got_gps[1]) < 1e-5)
        if not same_gps or (got["taken"] or "")[:19] != (taken or ""):
            differ.append((name, want, got))
    print(f"files: {len(files)} copies of {len(samples)} samples ({size / 1e6:.1f} MB)")
    print(f"exiftool   : {theirs_t:7.2f} s  ({len(files) / theirs_t:8.0f} files/s)")
    print(f"photo-info : {ours_t:7.2f} s  ({len(files) / ours_t:8.0f} files/s)")
    print(f"speed-up   : {theirs_t / ours_t:7.1f}x   (target >= 10x)")
    print(f"same answers (lat, lon within 1e-5, capture time): {len(theirs) - len(differ)}/{len(theirs)}")
    for name, want, got in differ[:5]:
        print("  differs:", name, want, got)
    print(f"machine load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if not differ else 1


def _best(cmd, repeat):
    best, out = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{cmd[0]} failed: {proc.stderr[:500]}")
        out = proc.stdout
        best = elapsed if best is None else min(best, elapsed)
    return best, out


if __name__ == "__main__":
    sys.exit(main())
