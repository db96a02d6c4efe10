"""Where things live: the project, its events, and per-user state outside git."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def events_dir() -> Path:
    """The folder holding one sub-folder per event (``WIKITOWN_EVENTS_DIR``)."""
    return Path(os.environ.get("WIKITOWN_EVENTS_DIR") or PROJECT_ROOT / "events")


def home_dir() -> Path:
    """Per-user state that must never be in an event folder or in git:
    passphrase hashes, attempt counters, the HTTP cache, TLS keys.
    ``WIKITOWN_HOME``, else ``~/.wikitown``."""
    path = Path(os.environ.get("WIKITOWN_HOME") or Path.home() / ".wikitown")
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o700)
    except OSError:
        pass
    return path
