"""Decoding photos in worker processes: a memory limit, a timeout, and only a few at once.

A photo's pixels are decoded (for the thumbnail, for the rotated or converted publish copy)
in a separate Python process whose address space is capped with ``RLIMIT_AS``: an image that
needs more memory fails there with a MemoryError or kills only that worker, never the server.
A decode that takes longer than the timeout has its worker killed. At most ``WORKERS`` decodes
run at once; other uploads wait for a free worker (holding only the bytes they already have).
Workers are started once and reused, so a photo costs a pipe round trip, not a process start.

``WIKITOWN_DECODE_WORKERS`` (default: 2, or 3 with 4+ cores; ``0`` decodes in this process, for
debugging only), ``WIKITOWN_DECODE_MEMORY_MB`` (default 1024: a 61 MP camera photo rotated peaked at
570 MB above the worker's start) and ``WIKITOWN_DECODE_TIMEOUT`` (seconds, default 60) change the limits.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


WORKERS = int(_env_number("WIKITOWN_DECODE_WORKERS", 3 if (os.cpu_count() or 1) >= 4 else 2))
MEMORY_MB = _env_number("WIKITOWN_DECODE_MEMORY_MB", 1024)
TIMEOUT = _env_number("WIKITOWN_DECODE_TIMEOUT", 60)
QUEUE_WAIT = 300.0  # seconds an upload waits for a free worker before it is refused as "busy"


# A photo of several MB through a 64 KiB pipe costs dozens of context switches, each a scheduler
# wait on a loaded machine (60-100 ms per photo measured at load 12). Large messages go through a
# file in a private folder on tmpfs instead; the pipe carries only its name.
SPOOL_FROM = 256 * 1024
_spool_dir: str | None = None


_spool_lock = threading.Lock()


def spool_dir() -> str:
    with _spool_lock:
        return _spool_dir or _make_spool_dir()


def _make_spool_dir() -> str:
    global _spool_dir
    if _spool_dir is None:
        import shutil
        import tempfile

        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        _spool_dir = tempfile.mkdtemp(prefix="wikitown-decode-", dir=base)  # mode 0700
        atexit.register(shutil.rmtree, _spool_dir, True)
    return _spool_dir


def _send(stream, obj, folder: str) -> str | None:
    """Write one message; the spool file's path when it went through one."""
    body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    path = None
    if len(body) > SPOOL_FROM:
        fd, path = tempfile_in(folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        body = pickle.dumps(("spooled", path), protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(body).to_bytes(8, "big") + body)
    stream.flush()
    return path


def _load(body: bytes):
    obj = pickle.loads(body)  # only ever from our own parent or worker
    if isinstance(obj, tuple) and len(obj) == 2 and obj[0] == "spooled":
        path = obj[1]
        try:
            with open(path, "rb") as fh:
                obj = pickle.loads(fh.read())
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
    return obj


def tempfile_in(folder: str) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(dir=folder, suffix=".msg")


class DecodeFailed(Exception):
    """The worker could not finish: ``kind`` is ``memory``, ``timeout``, ``busy`` or ``crash``;
    or ``error`` with the exception's class name and text from inside the worker."""

    def __init__(self, kind: str, detail: str = "", exc_type: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail, self.exc_type = kind, detail, exc_type


class _Worker:
    def __init__(self, memory_mb: float):
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONPATH": os.pathsep.join(
            p for p in (_PACKAGE_PARENT, os.environ.get("PYTHONPATH", "")) if p)}
        self.proc = subprocess.Popen([sys.executable, "-m", "wikitown.finds.decode_pool", str(memory_mb), spool_dir()],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, cwd=_PACKAGE_PARENT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, job: dict, timeout: float):
        spooled = None
        try:
            try:
                spooled = _send(self.proc.stdin, job, spool_dir())
            except (BrokenPipeError, OSError) as exc:
                raise DecodeFailed("crash", f"worker gone: {exc}") from None
            return self._answer(timeout)
        finally:
            if spooled:  # read and removed by the worker, unless it died first
                try:
                    os.unlink(spooled)
                except OSError:
                    pass

    def _answer(self, timeout: float):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise DecodeFailed("timeout", f"no answer in {timeout:.0f} s")
        head = self.proc.stdout.read(8)
        if len(head) < 8:
            code = self.proc.wait(timeout=5)
            # Killed by the kernel or aborted by a decoder's failed allocation: the memory limit.
            raise DecodeFailed("memory" if code in (-6, -9, -11, 134, 137) else "crash", f"worker exit {code}")
        status, *rest = _load(self.proc.stdout.read(int.from_bytes(head, "big")))
        if status == "ok":
            return rest[0]
        if status == "memory":
            raise DecodeFailed("memory", rest[0] if rest else "")
        raise DecodeFailed("error", rest[1], exc_type=rest[0])

    def stop(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


class DecodePool:
    """``WORKERS`` slots; each holds a live worker or None (started on first use)."""

    def __init__(self, workers: int, memory_mb: float = MEMORY_MB, timeout: float = TIMEOUT):
        self.memory_mb, self.timeout = memory_mb, timeout
        self._slots: queue.Queue = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(workers):
            self._slots.put(None)

    def run(self, job: dict, timeout: float | None = None, wait: float = QUEUE_WAIT):
        timeout = self.timeout if timeout is None else timeout
        try:
            worker = self._slots.get(timeout=wait)
        except queue.Empty:
            raise DecodeFailed("busy", f"no free worker in {wait:.0f} s") from None
        keep = None
        try:
            for attempt in (1, 2):
                if worker is None or not worker.alive():
                    worker = self._start()
                try:
                    result = worker.call(job, timeout)
                    keep = worker
                    return result
                except DecodeFailed as exc:
                    if exc.kind == "error":
                        keep = worker  # an exception inside a healthy worker
                        raise
                    self._retire(worker)
                    worker = None
                    # A worker that died before it read the job (killed from outside) is replaced once.
                    if not (exc.kind == "crash" and "worker gone" in exc.detail and attempt == 1):
                        raise
        finally:
            self._slots.put(keep)

    def _start(self) -> _Worker:
        worker = _Worker(self.memory_mb)
        with self._lock:
            self._all.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.proc.pid for w in self._all if w.alive()]

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()


_pool: DecodePool | None = None
_pool_lock = threading.Lock()


def pool() -> DecodePool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = DecodePool(max(1, WORKERS))
            atexit.register(_pool.close)
        return _pool


def decode(job: dict):
    """Run ``wikitown.finds.photos.render_copies(**job)`` in a worker (or here, when
    ``WIKITOWN_DECODE_WORKERS=0``). Raises :class:`DecodeFailed`."""
    if WORKERS <= 0:
        from wikitown.finds.photos import render_copies

        try:
            return render_copies(**job)
        except MemoryError:
            raise DecodeFailed("memory") from None
        except Exception as exc:  # noqa: BLE001 - the same shape as from a worker
            raise DecodeFailed("error", str(exc), exc_type=type(exc).__name__) from None
    return pool().run(job)


# --------------------------------------------------------------------------------------------
# the worker process


def _die_with_parent() -> None:
    """Exit when the process that started us is gone (mid-decode too). Not PR_SET_PDEATHSIG:
    that fires when the parent *thread* that started the worker ends, and uploads come from
    short-lived threads."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _serve(memory_mb: float, folder: str) -> None:
    import resource

    _die_with_parent()
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print from a library must not corrupt the answers
    sys.stdout = sys.stderr
    from wikitown.finds.photos import render_copies, warm_up

    warm_up()
    # The cap counts address space already mapped (Python, Pillow, libheif): add the budget to it.
    limit = _vm_size() + int(memory_mb * 1024 * 1024)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        head = channel_in.read(8)
        if len(head) < 8:
            return
        try:
            job = _load(channel_in.read(int.from_bytes(head, "big")))  # from the parent that started us
            answer = ("ok", render_copies(**job))
        except MemoryError:
            answer = ("memory", "out of memory")
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
            answer = ("error", type(exc).__name__, str(exc)[:500])
        job = None
        try:
            _send(channel_out, answer, folder)
        except MemoryError:
            answer = None
            _send(channel_out, ("memory", "out of memory"), folder)


if __name__ == "__main__":
    _serve(float(sys.argv[1]), sys.argv[2])
