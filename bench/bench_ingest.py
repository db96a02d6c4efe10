"""Ingest of camera-sized JPEGs: hash, validate, thumbnail, publish copy, store.

    python bench/bench_ingest.py [--photos 40] [--mb 5]

Each photo goes through wikitown.finds.capture.submit_find (the path uploads and bulk imports
take) into a fresh event on disk; prints photos per second and MB per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._photos import camera_jpeg, variant  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--mb", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        os.environ["WIKITOWN_HOME"] = str(Path(tmp) / "home")
        from wikitown.store.events import create_event
        from wikitown.finds.capture import join_event, submit_find
        from wikitown.store.sites import upsert_sites

        event = create_event(Path(tmp) / "ev", name="bench", lat=34.89, lon=138.32, radius_km=5, code="BENCH")
        upsert_sites(event.store, [{"id": "temple", "name": "常楽寺", "lat": 34.894452, "lon": 138.322446}])
        pid = join_event(event, "Bench", "cc-by-sa-4.0")
        base = camera_jpeg(args.mb)
        photos = [variant(base, i) for i in range(args.photos)]
        total = sum(len(p) for p in photos)
        start = time.perf_counter()
        for i, data in enumerate(photos):
            result = submit_find(event, pid, [(f"IMG_{i:04d}.jpg", data)], client_key=f"bench-{i}")
            assert result.accepted and result.site_id == "temple", result
        elapsed = time.perf_counter() - start
        media_mb = sum(f.stat().st_size for f in (Path(tmp) / "ev" / "media").rglob("*") if f.is_file()) / 1e6
    print(f"photos: {args.photos} JPEGs of {len(base) / 1e6:.1f} MB (4032x3024, GPS, one process)")
    print(f"ingest: {elapsed:.2f} s = {args.photos / elapsed:.1f} photos/s, {total / 1e6 / elapsed:.1f} MB/s "
          f"(SHA-1, decode check, thumbnail, lossless publish copy, atomic files, one transaction each)")
    print(f"stored: {media_mb:.0f} MB under media/ (original + publish copy + thumbnail)")
    print(f"machine load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
