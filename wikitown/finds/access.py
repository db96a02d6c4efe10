"""Who may open which page: an event code for participants, passphrases for
organizers and librarians.

Only scrypt hashes are kept, in the per-user state folder (``WIKITOWN_HOME``),
never in the event folder or in git. Wrong guesses are limited per role and
client: after ``MAX_FAILURES`` in a row, each further try from that client waits
longer (a per-client lock-out); many failures of one role from all clients together
only slow that role down, so no one can lock a role out for everyone. The client is
the address the server saw; forwarding headers count only from proxies the organizer
named (``serve --trusted-proxy``).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path

from wikitown.core.errors import AccessDenied, TooManyAttempts
from wikitown.core.fsutil import atomic_write_bytes
from wikitown.core.paths import home_dir

ROLES = ("participant", "librarian", "organizer")
PASSPHRASE_ROLES = ("librarian", "organizer")
# Which pages each role may open. An organizer may do a librarian's work too.
ALLOWED = {
    "participant": {"participant"},
    "librarian": {"participant", "librarian"},
    "organizer": {"participant", "librarian", "organizer"},
}
MAX_FAILURES = 5
LOCK_SECONDS = 30  # doubled for every failure past MAX_FAILURES, up to MAX_LOCK_SECONDS
MAX_LOCK_SECONDS = 900
EXPIRE_SECONDS = 24 * 3600  # a counter idle this long (and not locking) is forgotten
MAX_BUCKETS = 50_000  # oldest counters go first past this many
SLOWDOWN_WINDOW = 60.0  # seconds
SLOWDOWN_AFTER = 30  # failures of one role within the window, from all clients together
SLOWDOWN_SECONDS = 1.0  # each try of that role then waits its turn and this long
MIN_PASSPHRASE = 8
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def can_open(role: str | None, page: str) -> bool:
    return bool(role) and page in ALLOWED.get(role, set())


def _event_state_dir(event_dir: Path) -> Path:
    resolved = Path(event_dir).resolve()
    key = f"{resolved.name}-{hashlib.sha1(str(resolved).encode()).hexdigest()[:10]}"
    path = home_dir() / "events" / key
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


@contextmanager
def _locked_json(path: Path):
    """Read-modify-write a small JSON file under an exclusive lock."""
    lock = path.with_suffix(".lock")
    with open(lock, "a") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text()) if path.exists() else {}
        except ValueError:
            data = {}
        before = json.dumps(data, sort_keys=True)
        yield data
        if json.dumps(data, sort_keys=True) != before:
            atomic_write_bytes(path, json.dumps(data, indent=1).encode(), mode=0o600)
        fcntl.flock(lf, fcntl.LOCK_UN)


def hash_passphrase(passphrase: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        **_SCRYPT, salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode())


def verify_hash(passphrase: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(passphrase.encode("utf-8"), salt=base64.b64decode(salt), dklen=32,
                             n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def set_passphrase(event_dir: Path, role: str, passphrase: str) -> None:
    if role not in PASSPHRASE_ROLES:
        raise ValueError(f"role must be one of {PASSPHRASE_ROLES}")
    if len(passphrase) < MIN_PASSPHRASE:
        raise AccessDenied(f"a passphrase needs at least {MIN_PASSPHRASE} characters",
                           key="error.passphrase_short", min=MIN_PASSPHRASE)
    with _locked_json(_event_state_dir(event_dir) / "access.json") as data:
        data.setdefault("hashes", {})[role] = hash_passphrase(passphrase)
        data.pop("failures", None)  # counters of older versions: now in attempts.sqlite


def has_passphrase(event_dir: Path, role: str) -> bool:
    return role in _hashes(event_dir)


class _Attempts:
    """Failed guesses per (role, client) in a small SQLite file beside the hashes.

    One row per bucket, pruned as it goes: entries idle longer than ``EXPIRE_SECONDS``
    are deleted and at most ``MAX_BUCKETS`` are kept, so a flood of made-up clients
    neither fills the disk nor slows down the next join (a lookup is one indexed row,
    never a whole file read under one lock).
    """

    def __init__(self, event_dir: Path):
        self.path = _event_state_dir(event_dir) / "attempts.sqlite"

    def _connection(self) -> tuple[sqlite3.Connection, threading.Lock]:
        """One connection per file for the process, kept open: opening and closing a WAL
        database for every guess costs milliseconds (the close checkpoints)."""
        key = str(self.path)
        with _CONNECTIONS_GUARD:
            found = _CONNECTIONS.get(key)
            if found is not None and self.path.exists():
                return found
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS failures (bucket TEXT PRIMARY KEY, count INTEGER NOT NULL, "
                         "until REAL NOT NULL, last REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS failures_last ON failures (last)")
            _CONNECTIONS[key] = (conn, threading.Lock())
            return _CONNECTIONS[key]

    @contextmanager
    def transaction(self):
        conn, lock = self._connection()
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def count(self) -> int:
        if not self.path.exists():
            return 0
        conn, lock = self._connection()
        with lock:
            return conn.execute("SELECT count(*) FROM failures").fetchone()[0]


_CONNECTIONS: dict[str, tuple[sqlite3.Connection, threading.Lock]] = {}
_CONNECTIONS_GUARD = threading.Lock()


def _forget_connection(path: Path) -> None:
    with _CONNECTIONS_GUARD:
        found = _CONNECTIONS.pop(str(path), None)
    if found is not None:
        found[0].close()


_LAST_PRUNE: dict[str, float] = {}
PRUNE_EVERY = 60.0  # seconds: pruning counts every row, so not on each failure


def _prune(conn: sqlite3.Connection, now: float, path: str = "") -> None:
    if path and now - _LAST_PRUNE.get(path, 0.0) < PRUNE_EVERY:
        return
    _LAST_PRUNE[path] = now
    conn.execute("DELETE FROM failures WHERE last < ? AND until < ?", (now - EXPIRE_SECONDS, now))
    extra = conn.execute("SELECT count(*) FROM failures").fetchone()[0] - MAX_BUCKETS
    if extra > 0:
        conn.execute("DELETE FROM failures WHERE bucket IN (SELECT bucket FROM failures ORDER BY last LIMIT ?)",
                     (extra,))


def _throttle_check(conn: sqlite3.Connection, bucket: str, now: float) -> None:
    row = conn.execute("SELECT until FROM failures WHERE bucket = ?", (bucket,)).fetchone()
    if row and row[0] > now:
        raise TooManyAttempts(int(row[0] - now) + 1)


def _record(conn: sqlite3.Connection, bucket: str, ok: bool, now: float, path: str = "") -> None:
    if ok:
        conn.execute("DELETE FROM failures WHERE bucket = ?", (bucket,))
        return
    row = conn.execute("SELECT count FROM failures WHERE bucket = ?", (bucket,)).fetchone()
    count = (row[0] if row else 0) + 1
    extra = count - MAX_FAILURES
    until = now + min(LOCK_SECONDS * 2 ** min(extra, 20), MAX_LOCK_SECONDS) if extra >= 0 else 0
    conn.execute("INSERT OR REPLACE INTO failures (bucket, count, until, last) VALUES (?, ?, ?, ?)",
                 (bucket, count, until, now))
    _prune(conn, now, path)


class _RoleWatch:
    """Failures of one role across all clients in the last ``SLOWDOWN_WINDOW`` seconds (this
    process: the app serves every phone from one). Past ``SLOWDOWN_AFTER`` of them, every try
    of that role waits its turn and ``SLOWDOWN_SECONDS`` more: guessing from many addresses
    gets slow, while the right passphrase or code still works for everyone - a role is never
    locked out as a whole."""

    def __init__(self):
        self.failures: deque[float] = deque(maxlen=10_000)
        self.queue = threading.Lock()

    def recent(self, now: float) -> int:
        try:
            while self.failures and self.failures[0] < now - SLOWDOWN_WINDOW:
                self.failures.popleft()
        except IndexError:  # another thread emptied it first
            pass
        return len(self.failures)


_WATCHES: dict[tuple[str, str], _RoleWatch] = {}
_WATCHES_GUARD = threading.Lock()


def _watch(event_dir: Path, role: str) -> _RoleWatch:
    with _WATCHES_GUARD:
        return _WATCHES.setdefault((str(Path(event_dir).resolve()), role), _RoleWatch())


def _attempt(event_dir: Path, role: str, client: str, check) -> bool:
    """One guess: refused while this client is locked, slowed while the role is under attack."""
    watch = _watch(event_dir, role)
    busy = watch.recent(time.time()) >= SLOWDOWN_AFTER
    with watch.queue if busy else _NO_LOCK:
        if busy:
            time.sleep(SLOWDOWN_SECONDS)
        # Loopback or no address: whoever it is cannot be told apart from everyone else, so only
        # the role's slowdown applies (a shared count would let one person lock out all).
        counted = client not in ("", "127.0.0.1", "::1")
        bucket = f"{role}:{client}"
        attempts = _Attempts(event_dir)
        if counted:
            with attempts.transaction() as conn:
                _throttle_check(conn, bucket, time.time())
        ok = bool(check())  # scrypt takes a while: not inside the write transaction
        if counted:
            with attempts.transaction() as conn:
                _record(conn, bucket, ok, time.time(), str(attempts.path))
        if not ok:
            watch.failures.append(time.time())
    return ok


class _NoLockType:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NO_LOCK = _NoLockType()


def stored_attempt_buckets(event_dir: Path) -> int:
    """How many (role, client) failure counters are kept (they expire)."""
    return _Attempts(event_dir).count()


def _hashes(event_dir: Path) -> dict:
    path = _event_state_dir(event_dir) / "access.json"
    try:
        return json.loads(path.read_text()).get("hashes", {})
    except (FileNotFoundError, ValueError):
        return {}


TRUSTED_PROXIES_ENV = "WIKITOWN_TRUSTED_PROXIES"


def client_key(address, forwarded_for: str | None, session_id: str = "") -> str:
    """Who is guessing, for the per-client count.

    ``address`` is what the server saw. ``wikitown serve`` tells the server (uvicorn's
    ``FORWARDED_ALLOW_IPS``) to read ``X-Forwarded-For`` only from the proxies named with
    ``--trusted-proxy``, and sets ``WIKITOWN_TRUSTED_PROXIES``. Without that (a bare
    ``streamlit run``), the server believes the header from loopback, so an address that
    came with the header is anyone's to invent: it does not count. Loopback and unknown
    clients (a proxy that sends no header, the organizer's own laptop, tests) are counted
    per session, never all together: one person's wrong guesses lock out no one else.
    Without a session either, the result is "": not counted per client at all (only the
    role's slowdown applies).
    """
    trusted_setup = TRUSTED_PROXIES_ENV in os.environ
    if (isinstance(address, str) and address and address not in ("127.0.0.1", "::1")
            and (trusted_setup or not forwarded_for)):
        return address
    return f"session:{session_id}" if session_id else ""


def check_passphrase(event_dir: Path, role: str, passphrase: str, client: str = "") -> bool:
    """True when right. Raises :class:`TooManyAttempts` while locked out."""
    if role not in PASSPHRASE_ROLES:
        return False
    stored = _hashes(event_dir).get(role)
    return _attempt(event_dir, role, client, lambda: stored is not None and verify_hash(passphrase, stored))


def check_event_code(event_dir: Path, expected: str, given: str, client: str = "") -> bool:
    """Participants' join code: case and width insensitive (ｙａｉｚｕ = YAIZU)."""
    import unicodedata

    def norm(s: str) -> str:
        return unicodedata.normalize("NFKC", s or "").strip().upper()

    return _attempt(event_dir, "code", client,
                    lambda: hmac.compare_digest(norm(given).encode(), norm(expected).encode()))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def remove_state(event_dir: Path) -> None:
    """Forget an event's hashes and counters (used when an event is deleted)."""
    d = _event_state_dir(event_dir)
    _forget_connection(d / "attempts.sqlite")
    for f in d.iterdir():
        f.unlink()
    os.rmdir(d)


# The bundled demo event has well-known passphrases, shown on its sign-in form,
# so a fresh checkout can be explored. Real events never get these.
DEMO_PASSPHRASES = {"organizer": "demo-organizer", "librarian": "demo-librarian"}


def ensure_demo_passphrases(event_dir: Path, is_demo: bool) -> None:
    if not is_demo:
        return
    for role, phrase in DEMO_PASSPHRASES.items():
        if not has_passphrase(event_dir, role):
            set_passphrase(event_dir, role, phrase)
