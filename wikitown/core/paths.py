"""Where things live: the project, its events, and per-user state outside git."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def events_dir() -> Path:
    """The folder holding one sub-folder per event: ``WIKITOWN_EVENTS_DIR``, else ``events/`` in the
    current folder when there is one, else the checkout's ``events/`` (with the demo event), else
    ``events/`` in the current folder (an installed wikitown run anywhere)."""
    explicit = os.environ.get("WIKITOWN_EVENTS_DIR")
    if explicit:
        return Path(explicit)
    here = Path.cwd() / "events"
    if here.is_dir():
        return here
    checkout = PROJECT_ROOT / "events"
    return checkout if checkout.is_dir() else here


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
