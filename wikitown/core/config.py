"""An event's configuration: ``event.toml`` in the event folder, written for humans.

Loading validates every field and raises :class:`ConfigError` naming the bad
one (``area.radius_km: must be a number greater than 0``).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tomli_w

from wikitown.core.errors import ConfigError
from wikitown.core.licences import DEFAULT_LICENCE, LICENCES

CONFIG_NAME = "event.toml"
WIKI_LANGUAGES = ("ja", "en")
NOTE_FIELD_TYPES = ("text", "bool", "choice", "number")
DRAFT_LOCATIONS = ("draft", "user")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CODE_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")


@dataclass
class Area:
    lat: float
    lon: float
    radius_km: float
    municipality_code: str = ""  # 全国地方公共団体コード (6 digits with check digit, or 5)
    municipality: str = ""  # e.g. 焼津市
    wikidata_id: str = ""  # the municipality's item, e.g. Q1234


@dataclass
class NoteField:
    """A data-walk's own observation field (steps, hazards, signs ...)."""

    key: str
    label_ja: str
    label_en: str
    type: str = "text"
    choices: list[str] = field(default_factory=list)

    def label(self, lang: str) -> str:
        return self.label_ja if lang == "ja" else self.label_en


@dataclass
class OpenDataSource:
    """A municipal file imported as the event's sites (path relative to the event)."""

    file: str
    map: dict[str, str] = field(default_factory=dict)
    name: str = ""  # how the source is cited, e.g. 焼津市 文化財マップ
    url: str = ""  # where the dataset is published (else the first URL in the event's attribution)
    licence: str = ""  # as the publisher states it, e.g. CC BY 4.0 (else read from the attribution)


@dataclass
class EventConfig:
    name: str
    wiki: str
    area: Area
    code: str  # what participants type to join (printed on sheets and QR codes)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    description: str = ""
    commons_categories: list[str] = field(default_factory=list)
    event_category: str = ""  # the Commons category of the event itself
    licence: str = DEFAULT_LICENCE
    match_radius_m: float = 100.0
    max_upload_mb: float = 50.0
    note_fields: list[NoteField] = field(default_factory=list)
    opendata: list[OpenDataSource] = field(default_factory=list)
    services: dict[str, str] = field(default_factory=dict)
    draft_location: str = "draft"  # where drafts are published: Draft namespace or a user sub-page
    publish_max_distance_m: float = 1000.0  # a photo further than this from its site is held for a look
    publish_min_long_side: int = 640  # a photo smaller than this (px, long side) is held for a look
    approvals_required: int = 1  # [review] approvals: how many different reviewers approve a draft
    contact: str = ""  # organizer contact, sent in the User-Agent
    attribution: str = ""  # shown in the app wherever bundled data is shown
    public_url: str = ""  # where phones reach the app (QR codes, sheets, join links); "" = what serve printed
    demo: bool = False


def _fail(field_name: str, problem: str, path: Path | None):
    raise ConfigError(field_name, problem, path=str(path or ""))


def _number(raw: dict, key: str, dotted: str, path, *, default=None, low=None, high=None, positive=False):
    value = raw.get(key, default)
    if value is None:
        _fail(dotted, "is required", path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(dotted, f"must be a number, not {value!r}", path)
    value = float(value)
    if low is not None and not (low <= value <= high):
        _fail(dotted, f"must be between {low} and {high}, not {value}", path)
    if positive and value <= 0:
        _fail(dotted, f"must be a number greater than 0, not {value}", path)
    return value


def _text(raw: dict, key: str, dotted: str, path, *, required=False, default="") -> str:
    value = raw.get(key, default)
    if value is None or value == "":
        if required:
            _fail(dotted, "is required", path)
        return default
    if not isinstance(value, str):
        _fail(dotted, f"must be text, not {value!r}", path)
    return value.strip()


def _date(raw: dict, key: str, path) -> dt.date | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        _fail(key, f"must be a date like 2026-11-28, not {value!r}", path)


def parse_config(raw: dict, path: Path | None = None) -> EventConfig:
    """Validate a parsed TOML mapping into an :class:`EventConfig`."""
    if not isinstance(raw, dict):
        _fail("(file)", "must be a TOML table", path)
    name = _text(raw, "name", "name", path, required=True)
    wiki = _text(raw, "wiki", "wiki", path, default="ja")
    if wiki not in WIKI_LANGUAGES:
        _fail("wiki", f"must be one of {', '.join(WIKI_LANGUAGES)}, not {wiki!r}", path)
    area_raw = raw.get("area")
    if not isinstance(area_raw, dict):
        _fail("area", "is required: a table with lat, lon and radius_km", path)
    area = Area(
        lat=_number(area_raw, "lat", "area.lat", path, low=-90, high=90),
        lon=_number(area_raw, "lon", "area.lon", path, low=-180, high=180),
        radius_km=_number(area_raw, "radius_km", "area.radius_km", path, positive=True),
        municipality_code=_text(area_raw, "municipality_code", "area.municipality_code", path),
        municipality=_text(area_raw, "municipality", "area.municipality", path),
        wikidata_id=_text(area_raw, "wikidata_id", "area.wikidata_id", path),
    )
    if area.radius_km > 200:
        _fail("area.radius_km", f"must be at most 200 km for one town, not {area.radius_km}", path)
    if area.municipality_code and not re.fullmatch(r"\d{5,6}", area.municipality_code):
        _fail("area.municipality_code", f"must be 5 or 6 digits, not {area.municipality_code!r}", path)
    if area.wikidata_id and not re.fullmatch(r"Q\d+", area.wikidata_id):
        _fail("area.wikidata_id", f"must look like Q123, not {area.wikidata_id!r}", path)
    code = _text(raw, "code", "code", path, required=True)
    if not _CODE_RE.fullmatch(code):
        _fail("code", "must be 4 to 32 letters, digits or hyphens", path)
    start, end = _date(raw, "start_date", path), _date(raw, "end_date", path)
    if start and end and end < start:
        _fail("end_date", "is before start_date", path)
    licence = _text(raw, "licence", "licence", path, default=DEFAULT_LICENCE).lower()
    if licence not in LICENCES:
        _fail("licence", f"must be one of {', '.join(LICENCES)}, not {licence!r}", path)
    commons = raw.get("commons", {}) or {}
    if not isinstance(commons, dict):
        _fail("commons", "must be a table", path)
    cats = commons.get("categories", [])
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        _fail("commons.categories", "must be a list of category names", path)
    fields_raw = raw.get("note_fields", [])
    if not isinstance(fields_raw, list):
        _fail("note_fields", "must be a list of tables ([[note_fields]])", path)
    note_fields: list[NoteField] = []
    for i, f in enumerate(fields_raw):
        where = f"note_fields[{i}]"
        if not isinstance(f, dict):
            _fail(where, "must be a table", path)
        key = _text(f, "key", f"{where}.key", path, required=True)
        if not _KEY_RE.fullmatch(key):
            _fail(f"{where}.key", "must be lower-case letters, digits and _ (starting with a letter)", path)
        if key in {n.key for n in note_fields}:
            _fail(f"{where}.key", f"{key!r} is used twice", path)
        ftype = _text(f, "type", f"{where}.type", path, default="text")
        if ftype not in NOTE_FIELD_TYPES:
            _fail(f"{where}.type", f"must be one of {', '.join(NOTE_FIELD_TYPES)}", path)
        choices = f.get("choices", [])
        if ftype == "choice" and (not isinstance(choices, list) or not choices):
            _fail(f"{where}.choices", "a choice field needs a list of choices", path)
        label_ja = _text(f, "label_ja", f"{where}.label_ja", path, default=key)
        note_fields.append(NoteField(key, label_ja, _text(f, "label_en", f"{where}.label_en", path,
                                                           default=label_ja), ftype, list(choices or [])))
    sources: list[OpenDataSource] = []
    for i, s in enumerate(raw.get("opendata", []) or []):
        where = f"opendata[{i}]"
        if not isinstance(s, dict):
            _fail(where, "must be a table", path)
        mapping = s.get("map", {}) or {}
        if not isinstance(mapping, dict):
            _fail(f"{where}.map", "must be a table of field = column", path)
        sources.append(OpenDataSource(_text(s, "file", f"{where}.file", path, required=True),
                                      {str(k): str(v) for k, v in mapping.items()},
                                      _text(s, "name", f"{where}.name", path),
                                      _text(s, "url", f"{where}.url", path),
                                      _text(s, "licence", f"{where}.licence", path)))
    services = raw.get("services", {}) or {}
    if not isinstance(services, dict) or not all(isinstance(v, str) for v in services.values()):
        _fail("services", "must be a table of service = URL", path)
    from wikitown.core.services import SERVICE_NAMES

    for key, url in services.items():
        if key not in SERVICE_NAMES:
            _fail(f"services.{key}", f"unknown service; known: {', '.join(SERVICE_NAMES)}", path)
        if not re.match(r"^https?://", url):
            _fail(f"services.{key}", f"must be an http(s) URL, not {url!r}", path)
    publish = raw.get("publish", {}) or {}
    draft_location = _text(publish, "draft_location", "publish.draft_location", path, default="draft")
    if draft_location not in DRAFT_LOCATIONS:
        _fail("publish.draft_location", f"must be one of {', '.join(DRAFT_LOCATIONS)}", path)
    max_distance_km = _number(publish, "max_distance_km", "publish.max_distance_km", path, default=1.0,
                              positive=True)
    min_long_side = _number(publish, "min_long_side_px", "publish.min_long_side_px", path, default=640, low=0,
                            high=100000)
    review = raw.get("review", {}) or {}
    approvals = _number(review, "approvals", "review.approvals", path, default=1, low=1, high=5)
    if approvals != int(approvals):
        _fail("review.approvals", f"must be a whole number, not {approvals}", path)
    photos = raw.get("photos", {}) or {}
    matching = raw.get("matching", {}) or {}
    public_url = _text(raw, "public_url", "public_url", path).rstrip("/")
    if public_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", public_url):
        _fail("public_url", f"must be an http(s) address like https://walk.example.org, not {public_url!r}", path)
    return EventConfig(
        name=name, wiki=wiki, area=area, code=code, start_date=start, end_date=end,
        description=_text(raw, "description", "description", path),
        commons_categories=list(cats), event_category=_text(commons, "event_category",
                                                            "commons.event_category", path),
        licence=licence,
        match_radius_m=_number(matching, "radius_m", "matching.radius_m", path, default=100.0, positive=True),
        max_upload_mb=_number(photos, "max_upload_mb", "photos.max_upload_mb", path, default=50.0,
                              positive=True),
        note_fields=note_fields, opendata=sources, services=dict(services), draft_location=draft_location,
        publish_max_distance_m=float(max_distance_km) * 1000, publish_min_long_side=int(min_long_side),
        approvals_required=int(approvals),
        contact=_text(raw, "contact", "contact", path),
        attribution=_text(raw, "attribution", "attribution", path),
        public_url=public_url,
        demo=bool(raw.get("demo", False)),
    )


def load_config(event_dir: Path) -> EventConfig:
    path = Path(event_dir) / CONFIG_NAME
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        from wikitown.core.errors import EventNotFound

        raise EventNotFound(str(event_dir)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError("(file)", f"is not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path))
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("(file)", f"is not valid TOML: {exc}", path=str(path)) from None
    return parse_config(raw, path)


def config_to_toml(cfg: EventConfig) -> dict:
    """The TOML mapping for ``cfg`` (the inverse of :func:`parse_config`)."""
    out: dict = {"name": cfg.name, "code": cfg.code, "wiki": cfg.wiki}
    for name in ("description", "start_date", "end_date", "contact", "attribution", "public_url", "demo"):
        if getattr(cfg, name):  # optional keys are written only when set
            out[name] = getattr(cfg, name)
    out["licence"] = cfg.licence
    out["area"] = {k: v for k, v in asdict(cfg.area).items() if v not in ("", None)}
    out["commons"] = {"categories": cfg.commons_categories, "event_category": cfg.event_category}
    out["matching"] = {"radius_m": cfg.match_radius_m}
    out["photos"] = {"max_upload_mb": cfg.max_upload_mb}
    out["publish"] = {"draft_location": cfg.draft_location, "max_distance_km": cfg.publish_max_distance_m / 1000,
                      "min_long_side_px": cfg.publish_min_long_side}
    if cfg.approvals_required != 1:
        out["review"] = {"approvals": cfg.approvals_required}
    if cfg.services:
        out["services"] = dict(cfg.services)
    if cfg.note_fields:
        out["note_fields"] = [{k: v for k, v in asdict(f).items() if v not in ([], "")}
                              for f in cfg.note_fields]
    if cfg.opendata:
        out["opendata"] = [{k: v for k, v in asdict(s).items() if v not in ({}, "")} for s in cfg.opendata]
    return out


def save_config(event_dir: Path, cfg: EventConfig) -> Path:
    from wikitown.core.fsutil import atomic_write_bytes

    path = Path(event_dir) / CONFIG_NAME
    atomic_write_bytes(path, tomli_w.dumps(config_to_toml(cfg)).encode("utf-8"))
    return path
