"""The participants' upload API under load: 30 phones at once, each sending 3 photos of 4 MB.

    python bench/bench_upload_api.py [--phones 30] [--photos 3] [--mb 4] [--per-request 1]
                                     [--store-url postgresql+psycopg://...]

Starts the real app server (`streamlit run app.py`, which serves /api/v1 beside Streamlit) on a
copy of the demo event, joins every phone through the API, then all phones start together (a
barrier) and each sends its photos as the phone page does: one multipart POST per capture
(``--per-request`` photos in each, default 1: one photo a capture), one capture after another.
Prints p50/p95/max of the time from sending a request to holding the "saved" answer (target:
p95 < 1.5 s), and checks the store afterwards: every photo once, no error.

The phones run in another process, as real phones would not share the server's CPU time (they do
share this machine's 2 cores: the load average is printed with the figures).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._photos import camera_jpeg, variant  # noqa: E402


def _phones(base: str, tokens: list[str], photos: int, per_request: int, mb: float, queue) -> None:
    import requests

    jpeg = camera_jpeg(mb)
    barrier = threading.Barrier(len(tokens))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def phone(i: int) -> None:
        session = requests.Session()
        mine = [(f"IMG_{i:02d}_{k}.jpg", variant(jpeg, i * 100 + k)) for k in range(photos)]
        batches = [mine[k:k + per_request] for k in range(0, len(mine), per_request)]
        barrier.wait()
        for n, batch in enumerate(batches):
            start = time.perf_counter()
            try:
                r = session.post(f"{base}/finds", headers={"Authorization": f"Bearer {tokens[i]}"},
                                 data={"client_id": f"bench-{i:02d}-{n:02d}", "lat": "34.89446", "lon": "138.32240",
                                       "accuracy_m": "15"},
                                 files=[("photo", (name, data, "image/jpeg")) for name, data in batch], timeout=300)
                states = [p["state"] for p in r.json().get("photos", [])] if r.ok else []
                problem = None if states == ["saved"] * len(batch) else f"{r.status_code} {r.text[:200]}"
            except Exception as exc:  # noqa: BLE001 - counted, not fatal
                problem = repr(exc)
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                if problem:
                    errors.append(problem)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(len(tokens))]
    wall = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    queue.put((latencies, errors, len(jpeg), time.perf_counter() - wall))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=30)
    ap.add_argument("--photos", type=int, default=3, help="photos each phone sends")
    ap.add_argument("--per-request", type=int, default=1, help="photos in one capture (one request)")
    ap.add_argument("--mb", type=float, default=4.0, help="size of each photo")
    ap.add_argument("--store-url", default="", help="a PostgreSQL URL for the store (default: SQLite)")
    args = ap.parse_args()
    import requests

    from tests.harness.app import start_streamlit
    from tests.harness.phones import DEMO, DEMO_CODE, copy_demo_event

    tmp = Path(tempfile.mkdtemp(prefix="bench-upload-api-"))
    try:
        events, home = tmp / "events", tmp / "home"
        events.mkdir()
        home.mkdir()
        os.environ["WIKITOWN_HOME"] = str(home)
        if args.store_url:
            os.environ["WIKITOWN_STORE_URL"] = args.store_url
        event_dir = copy_demo_event(events)
        server = start_streamlit(ROOT / "app.py", events_dir=events, home=home, log_path=tmp / "server.log")
        try:
            base = f"{server}/api/v1/events/{DEMO}"
            tokens = []
            for i in range(args.phones):
                r = requests.post(f"{base}/join", data={"code": DEMO_CODE, "credit": f"Phone {i}",
                                                        "licence": "cc-by-sa-4.0"}, timeout=60)
                r.raise_for_status()
                tokens.append(r.json()["token"])
            cpu_before = _cpu_s(server.process.pid)
            ctx = multiprocessing.get_context("spawn")
            queue = ctx.Queue()
            clients = ctx.Process(target=_phones, args=(base, tokens, args.photos, args.per_request, args.mb, queue))
            clients.start()
            latencies, errors, size, wall = queue.get(timeout=900)
            clients.join()
            load = os.getloadavg()[0]
            server_cpu = _cpu_s(server.process.pid) - cpu_before
            rss = _rss_mb(server.process.pid)
        finally:
            server.stop()
        from wikitown.finds.capture import counts
        from wikitown.store.events import open_event

        event = open_event(event_dir)
        stored = counts(event)
        event.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    total = args.phones * args.photos
    print(f"phones: {args.phones} at once, {args.photos} photos each of {size / 1e6:.1f} MB, {args.per_request} "
          f"a request ({len(latencies)} requests; store {'PostgreSQL' if args.store_url else 'SQLite'}; "
          f"{os.cpu_count()} cores)")
    print(f"request to saved: p50 {p(0.50):.2f} s, p95 {p(0.95):.2f} s, max {latencies[-1]:.2f} s, "
          f"mean {statistics.mean(latencies):.2f} s   (target p95 < 1.5 s)")
    print(f"throughput: {total / wall:.1f} photos/s ({total * size / 1e6 / wall:.0f} MB/s); stored photos "
          f"{stored.get('photos')} of {total}, finds {stored.get('finds')}; errors {len(errors)}; "
          f"server RSS {rss or 0:.0f} MB")
    per_photo = server_cpu / total
    print(f"server CPU (with its decode workers): {per_photo * 1000:.0f} ms a photo (parsing, checking, writing, storing), so {os.cpu_count()} "
          f"idle cores take about {os.cpu_count() / per_photo:.0f} photos/s: with {args.phones} phones each waiting for "
          f"its answer, a request waits about {args.phones * args.per_request * per_photo / os.cpu_count():.2f} s")
    for problem in errors[:3]:
        print("  error:", problem)
    print(f"machine load average (1 min) after the run: {load:.1f} on {os.cpu_count()} cores")
    return 0 if not errors and stored.get("photos") == total else 1


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its living descendants (the photo decode workers)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo += [p for p, (ppid, _) in stats.items() if ppid == current and p not in tree]
    return sum(stats[p][1] for p in tree if p in stats) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


if __name__ == "__main__":
    sys.exit(main())
