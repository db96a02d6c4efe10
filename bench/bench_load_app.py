"""Load through the app's own upload path: many phones in a real browser at once.

    python3 bench/bench_load_app.py [--phones 30] [--photos 20] [--batch 5]

Starts the real Streamlit app (the test harness's ``start_streamlit``) on a fresh copy of the
demo event, and drives ``--phones`` iPhone-sized contexts of ONE headless Chromium at once
(Playwright's async API): each joins through the QR link, consents, and sends ``--photos`` JPEGs
(about 160-190 KB, EXIF GPS a few metres from a demo site) through the participant page's
uploader, ``--batch`` files per Send press, waiting for every file's result on the page.

Prints: latency per Send press (click -> every file's result visible) p50/p95/max, throughput,
the Streamlit server's peak RSS (VmHWM), the store check (every photo stored exactly once,
``PRAGMA integrity_check``, no half finds), and the machine's load average (the browsers run on
the same cores as the server, so the figures are a ceiling for one small laptop serving the
room, not for the server alone). Figures also go to test-artifacts/bench-load-app.json.
Exit status 1 when a photo is missing, twice, or the store is damaged.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness import ARTIFACTS, PROJECT_ROOT  # noqa: E402
from tests.harness import phones as ph  # noqa: E402
from tests.harness.app import start_streamlit  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=30)
    ap.add_argument("--photos", type=int, default=20, help="photos each phone sends")
    ap.add_argument("--batch", type=int, default=5, help="photos per Send press")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-app-") as tmp:
        tmp = Path(tmp)
        os.environ["WIKITOWN_HOME"] = str(tmp / "home")
        event_dir = ph.copy_demo_event(tmp / "events")
        points = ph.site_points(event_dir)
        photos = ph.make_photos(points, args.phones, args.photos, per_site=args.batch)
        sizes = [len(d) for mine in photos for _, d, _ in mine]
        server = start_streamlit(PROJECT_ROOT / "app.py", events_dir=tmp / "events", home=tmp / "home",
                                 log_path=ARTIFACTS / "app-logs" / "bench-load-app.log")
        load_before = ph.loadavg()
        try:
            run = asyncio.run(ph.run_load(server, photos, args.batch, points))
            load_after = ph.loadavg()
            rss = ph.peak_rss_mb(server.process.pid)
        finally:
            server.stop()
        check = ph.check_store(event_dir)
    n = args.phones * args.photos
    lat = run.latencies
    statuses = Counter(run.statuses.values())
    figures = {
        "phones": args.phones, "photos_per_phone": args.photos, "batch": args.batch, "photos": n,
        "photo_kb_min": round(min(sizes) / 1024), "photo_kb_max": round(max(sizes) / 1024),
        "sends": len(lat), "p50_s": round(ph.percentile(lat, 0.5), 2), "p95_s": round(ph.percentile(lat, 0.95), 2),
        "max_s": round(max(lat), 2) if lat else None, "mean_s": round(statistics.mean(lat), 2) if lat else None,
        "join_s": round(run.join_s, 1), "send_wall_s": round(run.wall_s, 1),
        "photos_per_s": round(statuses["received"] / run.wall_s, 2) if run.wall_s else None,
        "server_peak_rss_mb": round(rss, 1) if rss else None, "statuses": dict(statuses),
        "store": {"integrity": check.integrity, "finds": check.finds, "media": check.media,
                  "distinct_photos": check.distinct_sha1, "names_twice": len(check.duplicates),
                  "finds_without_media": len(check.finds_without_media), "missing_files": len(check.missing_files),
                  "bad_files": len(check.bad_files)},
        "errors": run.errors[:5], "loadavg_before": load_before, "loadavg_after": load_after,
        "cores": os.cpu_count(), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "bench-load-app.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"phones: {args.phones} at once in one Chromium, {args.photos} photos each "
          f"({figures['photo_kb_min']}-{figures['photo_kb_max']} KB, {args.batch} per Send) = {n} photos")
    print(f"joined and consented: {run.join_s:.1f} s; sending: {run.wall_s:.1f} s "
          f"({figures['photos_per_s']} photos/s)")
    print(f"latency per Send press (click -> every result visible): p50 {figures['p50_s']} s, "
          f"p95 {figures['p95_s']} s, max {figures['max_s']} s over {len(lat)} presses")
    print(f"Streamlit server peak RSS (VmHWM): {figures['server_peak_rss_mb']} MB")
    print(f"results on the phones: {dict(statuses)}")
    print(f"store: integrity {check.integrity}; {check.finds} finds, {check.media} photos "
          f"({check.distinct_sha1} distinct); names stored twice {len(check.duplicates)}; "
          f"finds without photos {len(check.finds_without_media)}; missing files {len(check.missing_files)}; "
          f"files not matching their name {len(check.bad_files)}")
    for err in run.errors[:3]:
        print("  error:", err[:300])
    print(f"load average (1/5/15 min) before {load_before}, after {load_after}, on {os.cpu_count()} cores")
    ok = (check.integrity == "ok" and check.media == n == check.distinct_sha1 == statuses["received"]
          and not check.duplicates and not check.finds_without_media and not check.missing_files
          and not check.bad_files and not run.errors)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
