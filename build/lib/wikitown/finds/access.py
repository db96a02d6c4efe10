"""Who may open which page: an event code for participants, passphrases for
organizers and librarians.

Only scrypt hashes are kept, in the per-user state folder (``WIKITOWN_HOME``),
never in the event folder or in git. Wrong guesses are limited per role and
client: after ``MAX_FAILURES`` in a row, each further try waits longer.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
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


def has_passphrase(event_dir: Path, role: str) -> bool:
    path = _event_state_dir(event_dir) / "access.json"
    try:
        return role in json.loads(path.read_text()).get("hashes", {})
    except (FileNotFoundError, ValueError):
        return False


def _throttle_check(data: dict, bucket: str, now: float) -> None:
    entry = data.get("failures", {}).get(bucket)
    if entry and entry.get("until", 0) > now:
        raise TooManyAttempts(int(entry["until"] - now) + 1)


def _record(data: dict, bucket: str, ok: bool, now: float) -> None:
    failures = data.setdefault("failures", {})
    if ok:
        failures.pop(bucket, None)
        return
    entry = failures.setdefault(bucket, {"count": 0, "until": 0})
    entry["count"] += 1
    extra = entry["count"] - MAX_FAILURES
    if extra >= 0:
        entry["until"] = now + min(LOCK_SECONDS * 2 ** extra, MAX_LOCK_SECONDS)


def _attempt(event_dir: Path, bucket: str, check) -> bool:
    now = time.time()
    with _locked_json(_event_state_dir(event_dir) / "access.json") as data:
        _throttle_check(data, bucket, now)
        ok = bool(check(data))
        _record(data, bucket, ok, now)
    return ok


def check_passphrase(event_dir: Path, role: str, passphrase: str, client: str = "") -> bool:
    """True when right. Raises :class:`TooManyAttempts` while locked out."""
    if role not in PASSPHRASE_ROLES:
        return False
    return _attempt(event_dir, f"{role}:{client}",
                    lambda d: (h := d.get("hashes", {}).get(role)) is not None and verify_hash(passphrase, h))


def check_event_code(event_dir: Path, expected: str, given: str, client: str = "") -> bool:
    """Participants' join code: case and width insensitive (ｙａｉｚｕ = YAIZU)."""
    import unicodedata

    def norm(s: str) -> str:
        return unicodedata.normalize("NFKC", s or "").strip().upper()

    return _attempt(event_dir, f"code:{client}",
                    lambda _d: hmac.compare_digest(norm(given).encode(), norm(expected).encode()))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def remove_state(event_dir: Path) -> None:
    """Forget an event's hashes and counters (used when an event is deleted)."""
    d = _event_state_dir(event_dir)
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
