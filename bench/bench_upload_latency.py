"""Upload latency with 30 phones at once, on loopback.

    python bench/bench_upload_latency.py [--phones 30] [--uploads 3] [--mb 3]

A small HTTP server on 127.0.0.1 takes each upload (the photo's bytes, the browser's
position) and calls wikitown.finds.capture.submit_find, the same call the participant page
makes; 30 client threads upload at once, each a few photos in a row. Prints p50/p95/max
of the time from sending the request to receiving the answer (target: p95 < 1.5 s).
Not included: Streamlit's own websocket/upload handling in front of the same call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._photos import camera_jpeg, variant  # noqa: E402


def phones(url: str, pids: list[str], uploads: int, mb: float, queue) -> None:
    """Every phone a thread: all start together, each sends its photos one after another."""
    import requests

    base = camera_jpeg(mb)
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(pids))
    lock = threading.Lock()

    def phone(i):
        session = requests.Session()
        photos = [variant(base, i * 1000 + k) for k in range(uploads)]
        barrier.wait()
        for k, data in enumerate(photos):
            start = time.perf_counter()
            try:
                r = session.post(url, params={"p": pids[i], "name": f"IMG_{k}.jpg", "key": f"{i}-{k}"}, data=data,
                                 timeout=120)
                problem = None if r.status_code == 200 and r.json()["status"] == ["accepted"] else r.text
            except Exception as exc:  # noqa: BLE001 - counted, not fatal
                problem = repr(exc)
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                if problem:
                    errors.append(problem)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(len(pids))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    queue.put((latencies, errors, len(base)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=30)
    ap.add_argument("--uploads", type=int, default=3, help="photos each phone sends, one after another")
    ap.add_argument("--mb", type=float, default=3.0, help="size of each photo")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        os.environ["WIKITOWN_HOME"] = str(Path(tmp) / "home")
        from wikitown.store.events import create_event
        from wikitown.finds.capture import join_event, submit_find
        from wikitown.store.sites import upsert_sites

        event = create_event(Path(tmp) / "ev", name="bench", lat=34.89, lon=138.32, radius_km=5, code="BENCH")
        upsert_sites(event.store, [{"id": "temple", "name": "常楽寺", "lat": 34.894452, "lon": 138.322446}])
        pids = [join_event(event, f"Phone {i}", "cc-by-sa-4.0") for i in range(args.phones)]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                q = parse_qs(urlparse(self.path).query)
                data = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    result = submit_find(event, q["p"][0], [(q["name"][0], data)], client_key=q["key"][0],
                                         browser_location=(34.89446, 138.32240, 15.0))
                    body = json.dumps({"find": result.find_id, "status": [f.status for f in result.files]}).encode()
                    code = 200
                except Exception as exc:  # noqa: BLE001 - reported as a failed upload
                    body, code = repr(exc).encode(), 500
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # 30 phones connect at once
            daemon_threads = True

        server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/upload"
        # The phones run in another process, as real phones would not share the server's CPU time.
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        clients = ctx.Process(target=phones, args=(url, pids, args.uploads, args.mb, queue))
        wall = time.perf_counter()
        clients.start()
        latencies, errors, size = queue.get(timeout=600)
        clients.join()
        wall = time.perf_counter() - wall
        server.shutdown()
        from wikitown.finds.capture import counts

        stored = counts(event)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    print(f"phones: {args.phones} at once, {args.uploads} photos each of {size / 1e6:.1f} MB "
          f"({len(latencies)} uploads, {os.cpu_count()} cores)")
    print(f"latency: p50 {p(0.50):.2f} s, p95 {p(0.95):.2f} s, max {latencies[-1]:.2f} s, "
          f"mean {statistics.mean(latencies):.2f} s   (target p95 < 1.5 s)")
    print(f"throughput: {len(latencies) / wall:.1f} photos/s; stored finds {stored.get('finds')}, "
          f"photos {stored.get('photos')}; errors {len(errors)}")
    for problem in errors[:3]:
        print("  error:", problem[:200])
    print(f"machine load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if not errors and stored.get("photos") == len(latencies) else 1


if __name__ == "__main__":
    sys.exit(main())
