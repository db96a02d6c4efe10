"""Load through the app's own upload path: many phones in one real browser at once, each
joining by the QR link and sending its photos through the participant page; afterwards every
photo is stored exactly once and the store is intact.

The full scenario (30 phones x 20 photos) takes several minutes on a 2-core machine (the
browsers share the cores with the server), so CI runs 8 phones x 6 photos, 3 per Send; the
full run is ``python3 bench/bench_load_app.py`` (figures in docs/load.md). Set
WIKITOWN_LOAD_PHONES / _PHOTOS / _BATCH to run other sizes here. Correctness only: timing is
printed and written to test-artifacts/load-app.json, never asserted.
"""
import json
import os
from collections import Counter

import pytest

from tests.harness import phones as ph
from tests.harness.requirements import need

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONES = int(os.environ.get("WIKITOWN_LOAD_PHONES", 8))
PHOTOS = int(os.environ.get("WIKITOWN_LOAD_PHOTOS", 6))
BATCH = int(os.environ.get("WIKITOWN_LOAD_BATCH", 3))


def test_phones_upload_at_once_every_photo_stored_once(start_app, tmp_path, artifacts_dir):
    need("playwright")
    need("chromium")
    event_dir = ph.copy_demo_event(tmp_path / "events")
    points = ph.site_points(event_dir)
    assert len(points) >= 10  # the demo has well-separated sites to photograph
    photos = ph.make_photos(points, PHONES, PHOTOS, per_site=BATCH)
    server = start_app(tmp_path / "events")

    run = ph.run_async(ph.run_load(server, photos, BATCH, points))
    rss = ph.peak_rss_mb(server.process.pid)
    server.stop()

    figures = {"phones": PHONES, "photos": PHOTOS, "batch": BATCH, "sends": len(run.latencies),
               "p50_s": round(ph.percentile(run.latencies, 0.5), 2),
               "p95_s": round(ph.percentile(run.latencies, 0.95), 2),
               "server_peak_rss_mb": rss, "loadavg": ph.loadavg(), "errors": run.errors}
    (artifacts_dir / "load-app.json").write_text(json.dumps(figures, indent=2))
    print(figures)

    assert run.errors == []
    assert Counter(run.statuses.values()) == {"received": PHONES * PHOTOS}
    assert len(run.latencies) == PHONES * -(-PHOTOS // BATCH)
    check = ph.check_store(event_dir)
    assert check.integrity == "ok"
    # every photo exactly once: one media row each, under the name it was sent with, no copies
    assert check.media == check.distinct_sha1 == PHONES * PHOTOS
    assert sorted(check.by_name) == sorted(name for mine in photos for name, *_ in mine)
    assert check.duplicates == {}
    # one find per Send press, each holding its photos, each photo's files on disk and intact
    assert check.finds == len(run.latencies)
    assert check.finds_without_media == [] and check.media_without_find == []
    assert check.missing_files == [] and check.bad_files == []
    # matched where the GPS points (each Send's photos were taken within ~10 m of one site)
    from wikitown.store.events import open_event
    from wikitown.finds.capture import list_finds

    event = open_event(event_dir)
    try:
        rows = list_finds(event)
    finally:
        event.close()
    site_of = {name: site for mine in photos for name, _, site in mine}
    for row in rows:
        assert row["location_source"] == "exif"
        assert {site_of[m["original_name"]] for m in row["media"]} == {row["site_id"]}
        assert row["match_status"] == "matched"
