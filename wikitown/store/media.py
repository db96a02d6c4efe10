"""Media files stored by content: ``media/<ab>/<sha1>.<ext>`` under the event folder.

The same bytes are stored once whoever sends them; a write is atomic, so a
crash never leaves half a photo under its final name.
"""

from __future__ import annotations

import errno
import hashlib
import re
from pathlib import Path

from wikitown.core.errors import DiskFull
from wikitown.core.fsutil import atomic_write_bytes

MEDIA_DIR = "media"
_EXT_RE = re.compile(r"^[a-z0-9]{1,5}$")


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def media_relpath(sha1: str, ext: str, kind: str = "original") -> str:
    """Path relative to the event folder. ``ext`` comes from the detected type,
    never from the sender's file name, so no path trick can reach the disk."""
    if not re.fullmatch(r"[0-9a-f]{40}", sha1):
        raise ValueError(f"not a SHA-1: {sha1!r}")
    ext = ext.lower().lstrip(".")
    if not _EXT_RE.fullmatch(ext):
        raise ValueError(f"bad extension: {ext!r}")
    sub = "" if kind == "original" else f"{kind}/"
    return f"{MEDIA_DIR}/{sub}{sha1[:2]}/{sha1}.{ext}"


def put_bytes(event_dir: Path, data: bytes, ext: str, kind: str = "original", *,
              sha1: str | None = None) -> tuple[str, str]:
    """Store ``data``; returns (sha1, path relative to the event folder). ``sha1``: the digest
    of ``data`` when the caller already computed it (hashing a 4 MB photo again costs time)."""
    sha1 = sha1 or sha1_hex(data)
    rel = media_relpath(sha1, ext, kind)
    path = Path(event_dir) / rel
    if not (path.exists() and path.stat().st_size == len(data)):
        _private_dirs(Path(event_dir), path.parent)
        # Originals carry full EXIF (where someone was, their phone's serial): only this user may read.
        atomic_write_bytes(path, data, mode=0o600)
    return sha1, rel


def _private_dirs(event_dir: Path, folder: Path) -> None:
    """Make the folders from ``event_dir`` down to ``folder``, each new one 0700."""
    missing = []
    while folder != event_dir and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:  # no room for one more folder is a full disk too
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(str(new)) from exc
            raise
        new.chmod(0o700)  # mkdir's mode is cut by the umask
