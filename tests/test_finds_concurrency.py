"""Many phones at once against one event: nothing lost, nothing twice.

30+ uploaders start together (a barrier), as threads in one process (the app
server) and as separate processes (several servers or imports on one store).
Each sends a photo of its own, retries another upload with the same client key,
and everyone sends the same shared photo: afterwards the store must hold exactly
one find per client key and one media row per distinct photo.
"""

import multiprocessing
import threading

import pytest
import sqlalchemy as sa

from tests.photo_samples import jpeg
from wikitown.store.events import create_event, open_event
from wikitown.finds.capture import join_event, submit_find
from wikitown.store.sites import upsert_sites
from wikitown.store.db import finds, media

UPLOADERS = 32
TEMPLE = (34.894452, 138.322446)
SHARED = jpeg(seed=9999, lat=TEMPLE[0], lon=TEMPLE[1])

# Every test here runs on SQLite and on PostgreSQL (the store_backend fixture, tests/conftest.py).
pytestmark = pytest.mark.usefixtures("store_backend")


def _uploader(event_dir: str, n: int, tag: str, barrier) -> dict:
    event = open_event(event_dir)
    try:
        pid = join_event(event, f"{tag} {n}", "cc-by-sa-4.0")
        own = jpeg(seed=n * 3 + (1 if tag == "thread" else 2) * 1000, lat=TEMPLE[0], lon=TEMPLE[1])
        retried = jpeg(seed=n * 3 + 1 + (1 if tag == "thread" else 2) * 1000)
        barrier.wait(timeout=60)
        a = submit_find(event, pid, [("own.jpg", own), ("shared.jpg", SHARED)], note=f"{tag}{n}",
                        client_key=f"{tag}-{n}-a")
        b1 = submit_find(event, pid, [("r.jpg", retried)], browser_location=(*TEMPLE, 5), client_key=f"{tag}-{n}-b")
        b2 = submit_find(event, pid, [("r.jpg", retried)], browser_location=(*TEMPLE, 5), client_key=f"{tag}-{n}-b")
        return {"ids": {a.find_id, b1.find_id}, "retry_same": b1.find_id == b2.find_id and not b2.created,
                "shared": [f.status for f in a.files if f.name == "shared.jpg"][0]}
    finally:
        event.close()


def _process_entry(args):
    event_dir, n, barrier, queue = args
    try:
        queue.put(_uploader(event_dir, n, "proc", barrier))
    except Exception as exc:  # noqa: BLE001 - report to the parent instead of dying silently
        queue.put({"error": repr(exc)})


@pytest.fixture
def event_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    ev = create_event(tmp_path / "ev", name="Busy", lat=34.89, lon=138.32, radius_km=5, code="BUSY")
    upsert_sites(ev.store, [{"id": "temple", "name": "常楽寺", "lat": TEMPLE[0], "lon": TEMPLE[1]}])
    ev.close()
    return str(ev.dir)


def _check(event_dir: str, results: list[dict], uploaders: int) -> None:
    assert not [r for r in results if "error" in r], results
    assert len(results) == uploaders
    returned = set().union(*(r["ids"] for r in results))
    assert all(r["retry_same"] for r in results)
    assert sorted(r["shared"] for r in results).count("accepted") == 1  # the shared photo: one find holds it
    event = open_event(event_dir)
    with event.store.read() as conn:
        stored = {r.id: r for r in conn.execute(sa.select(finds))}
        photos = conn.execute(sa.select(media.c.sha1, media.c.find_id)).all()
        keys = [r.client_key for r in stored.values()]
    event.close()
    assert set(stored) == returned  # nothing lost, nothing unreported
    assert len(keys) == len(set(keys)) == 2 * uploaders  # nothing twice
    assert len(photos) == 2 * uploaders + 1 and len({p.sha1 for p in photos}) == len(photos)
    assert all(p.find_id in stored for p in photos)
    assert all(s.site_id == "temple" and s.match_status == "matched" for s in stored.values())


def test_threads_upload_at_once(event_dir):
    barrier = threading.Barrier(UPLOADERS)
    results: list[dict] = [None] * UPLOADERS

    def run(n):
        try:
            results[n] = _uploader(event_dir, n, "thread", barrier)
        except Exception as exc:  # noqa: BLE001
            results[n] = {"error": repr(exc)}
            barrier.abort()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(UPLOADERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    _check(event_dir, results, UPLOADERS)


def test_processes_upload_at_once(event_dir):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(UPLOADERS)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process_entry, args=((event_dir, n, barrier, queue),)) for n in range(UPLOADERS)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    _check(event_dir, results, UPLOADERS)
