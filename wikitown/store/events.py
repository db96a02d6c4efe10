"""Event workspaces: one folder per event, holding ``event.toml``, the store and media."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from wikitown.core.config import Area, EventConfig, load_config, save_config
from wikitown.core.errors import ConfigError, InputError
from wikitown.core.licences import DEFAULT_LICENCE
from wikitown.core.paths import events_dir
from wikitown.store.db import Store, store_url

DEMO_EVENT = "demo-yaizu"
# Unambiguous characters only: codes are read aloud and typed on phones.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass
class Event:
    dir: Path
    config: EventConfig
    _stores: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def slug(self) -> str:
        return self.dir.name

    @cached_property
    def store(self) -> Store:
        return Store(store_url(self.dir))

    def path(self, relative: str) -> Path:
        """A file inside the event folder; refuses anything that would leave it."""
        base = self.dir.resolve()
        target = (base / relative).resolve()
        if base != target and base not in target.parents:
            raise InputError(f"path leaves the event folder: {relative!r}", key="error.path_escape",
                             path=relative)
        return target

    def service(self, name: str) -> str:
        from wikitown.core.services import endpoint

        return endpoint(name, self.config.services, self.config.wiki)

    def http_client(self, *, cached: bool = True):
        from wikitown.net.http import HttpClient
        from wikitown.core.paths import home_dir

        return HttpClient(cache_dir=(home_dir() / "cache") if cached else None, contact=self.config.contact)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.dispose()
            del self.__dict__["store"]


_SLUG_RE = __import__("re").compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def event_path_for(slug: str) -> Path:
    """The folder for a new event under the events folder; the slug is the folder's name,
    so only lower-case letters, digits and hyphens (no path tricks)."""
    slug = (slug or "").strip()
    if not _SLUG_RE.fullmatch(slug):
        raise ConfigError("slug", "use 2 to 63 lower-case letters, digits and hyphens, e.g. yaizu-2026")
    return events_dir() / slug


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def open_event(path: Path | str) -> Event:
    path = Path(path)
    if not path.is_absolute() and not (path / "event.toml").exists():
        candidate = events_dir() / path
        if (candidate / "event.toml").exists():
            path = candidate
    return Event(path.resolve(), load_config(path))


def create_event(path: Path | str, *, name: str, lat: float, lon: float, radius_km: float, wiki: str = "ja",
                 municipality_code: str = "", municipality: str = "", start_date: dt.date | None = None,
                 end_date: dt.date | None = None, code: str = "", licence: str = DEFAULT_LICENCE) -> Event:
    """Make a new event folder with a validated ``event.toml`` and an empty store."""
    from wikitown.core.config import parse_config, config_to_toml

    path = Path(path)
    if (path / "event.toml").exists():
        raise ConfigError("(folder)", f"an event already exists in {path}")
    cfg = EventConfig(name=name, wiki=wiki, area=Area(lat, lon, radius_km, municipality_code, municipality),
                      code=code or new_code(), start_date=start_date, end_date=end_date, licence=licence)
    cfg = parse_config(config_to_toml(cfg))  # the same validation as loading
    path.mkdir(parents=True, exist_ok=True)
    save_config(path, cfg)
    event = Event(path.resolve(), cfg)
    event.store  # creates the database and runs the migrations
    return event


def list_events() -> list[Path]:
    root = events_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "event.toml").is_file())


def copy_event(src: Path, dest: Path) -> Path:
    """Copy an event folder without its store and media (a template for a new event)."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("store.sqlite*", "media", "cache", "out"))
    return dest
