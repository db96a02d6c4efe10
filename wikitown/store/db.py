"""An event's data in one database: SQLAlchemy Core tables, versioned migrations.

SQLite in the event folder by default (WAL, a busy timeout so concurrent
participants queue instead of failing, ``BEGIN IMMEDIATE`` for writes so two
writers never deadlock on a lock upgrade). The tables use only portable types,
so a PostgreSQL store is a different URL (``store_url`` / ``WIKITOWN_STORE_URL``),
not a rewrite.

Migrations are kept per component (``core`` here; a feature may register its
own chain with :func:`register_migrations`), each a list of functions applied
in order inside one transaction and recorded in ``schema_versions``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event as sa_event

from wikitown.core.errors import DiskFull, StoreError

STORE_FILE = "store.sqlite"
METADATA = sa.MetaData()
# One lock per database within a process: the app serves every phone from one process, and
# queueing writers here is first come, first served, where SQLite's busy handler makes waiting
# writers sleep in growing steps (up to 100 ms) and lets late ones overtake: long tail latency.
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(url: str):
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(url, threading.RLock())


def now() -> str:
    """UTC timestamps as ISO text: portable, sortable, readable in exports."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _json_col(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.JSON, **kw)


schema_versions = sa.Table(
    "schema_versions", METADATA,
    sa.Column("component", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

kv = sa.Table(
    "kv", METADATA,
    sa.Column("key", sa.String(200), primary_key=True),
    _json_col("value"),
    sa.Column("updated_at", sa.String(40)),
)

# One row per heritage site, merged from every source that knows it.
sites = sa.Table(
    "sites", METADATA,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),  # as the source publishes it, byte for byte
    sa.Column("name_key", sa.Text, default=""),  # NFKC, for matching and titles (never shown as the name)
    sa.Column("name_kana", sa.Text, default=""),
    sa.Column("name_en", sa.Text, default=""),
    sa.Column("designation", sa.Text, default=""),  # as the source words it: 国指定重要文化財, 市指定 ...
    sa.Column("designation_level", sa.String(20), default=""),  # national/prefectural/municipal/registered
    sa.Column("category", sa.Text, default=""),  # 建造物, 史跡, 天然記念物 ...
    sa.Column("kind", sa.String(20), default=""),  # temple/shrine/other: picks the article's infobox
    sa.Column("kind_origin", sa.String(12), default=""),  # source, wikidata, osm, name (a guess)
    sa.Column("municipality", sa.Text, default=""),
    sa.Column("municipality_origin", sa.String(12), default=""),  # field, address, coordinates, event
    sa.Column("address", sa.Text, default=""),
    sa.Column("description", sa.Text, default=""),
    sa.Column("owner", sa.Text, default=""),  # 所有者等, as the source words it
    _json_col("issues"),  # the importer's per-row findings: [{"code", "line", "source"}]
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("coord_status", sa.String(12), default="missing"),  # ok, missing, geocoded, suspect
    sa.Column("wikidata_id", sa.String(20), default=""),
    sa.Column("commons_category", sa.Text, default=""),
    sa.Column("image", sa.Text, default=""),  # a Commons file already showing the site (P18)
    sa.Column("article_status", sa.String(12), default="unchecked"),
    sa.Column("article_title", sa.Text, default=""),
    _json_col("other_articles"),  # {"en": "Title", ...}: translation candidates
    sa.Column("has_photo", sa.Boolean),  # None = not known yet
    sa.Column("article_checked_at", sa.String(40)),
    sa.Column("selected", sa.Boolean, default=False),  # a target of this event's walk
    _json_col("data"),  # anything else a source gave, kept for the organizer
    sa.Column("created_at", sa.String(40)),
    sa.Column("updated_at", sa.String(40)),
)

# Each source's own record of a site: the evidence behind every merged value.
site_provenance = sa.Table(
    "site_provenance", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(80), sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True),
    sa.Column("source", sa.String(80), nullable=False),  # wikidata, osm, opendata:<file> ...
    sa.Column("source_id", sa.Text, nullable=False),
    _json_col("data"),
    sa.Column("fetched_at", sa.String(40)),
    sa.UniqueConstraint("source", "source_id", name="uq_provenance_source"),
)

participants = sa.Table(
    "participants", METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.Text, nullable=False),  # how they want to be credited
    sa.Column("wiki_user", sa.Text, default=""),
    sa.Column("licence", sa.String(20), nullable=False),
    sa.Column("consent_at", sa.String(40), nullable=False),
    sa.Column("team", sa.Integer),
    sa.Column("lang", sa.String(5), default="ja"),
    sa.Column("created_at", sa.String(40)),
)

finds = sa.Table(
    "finds", METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("participant_id", sa.String(64), sa.ForeignKey("participants.id"), index=True),
    sa.Column("site_id", sa.String(80), sa.ForeignKey("sites.id"), index=True),
    sa.Column("note", sa.Text, default=""),  # stored as typed; shown as text, never as markup
    _json_col("fields"),  # the event's own note fields
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("location_source", sa.String(12), default="none"),  # exif, browser, site, none
    sa.Column("accuracy_m", sa.Float),
    sa.Column("match_status", sa.String(12), default="queue"),  # matched, queue, assigned
    sa.Column("distance_m", sa.Float),
    sa.Column("licence", sa.String(20)),
    sa.Column("credit", sa.Text),
    sa.Column("client_key", sa.String(128), unique=True),  # idempotency: a retried upload is one find
    sa.Column("captured_at", sa.String(40)),  # when the phone took it (its outbox may send it hours later)
    sa.Column("reviewed_at", sa.String(40)),
    sa.Column("created_at", sa.String(40)),
    sa.Column("updated_at", sa.String(40)),
)

# Photos, content-addressed: the same bytes are one row whoever sends them.
media = sa.Table(
    "media", METADATA,
    sa.Column("sha1", sa.String(40), primary_key=True),
    sa.Column("find_id", sa.String(64), sa.ForeignKey("finds.id"), index=True),
    sa.Column("original_name", sa.Text),
    sa.Column("format", sa.String(10)),
    sa.Column("size", sa.Integer),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("taken", sa.String(40)),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("orientation", sa.Integer),
    sa.Column("path", sa.Text),  # the original, relative to the event folder
    sa.Column("publish_path", sa.Text),  # JPEG for Commons, device identifiers stripped
    sa.Column("publish_sha1", sa.String(40)),
    sa.Column("thumb_path", sa.Text),
    sa.Column("created_at", sa.String(40)),
)

sources = sa.Table(
    "sources", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(12), nullable=False),  # book, web, dataset
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("authors", sa.Text, default=""),
    sa.Column("publisher", sa.Text, default=""),
    sa.Column("year", sa.String(20), default=""),
    sa.Column("isbn", sa.String(20), default=""),
    sa.Column("pages", sa.Text, default=""),
    sa.Column("call_number", sa.Text, default=""),
    sa.Column("url", sa.Text, default=""),
    sa.Column("website", sa.Text, default=""),
    sa.Column("access_date", sa.String(20), default=""),
    sa.Column("added_by", sa.Text, default=""),
    _json_col("data"),
    sa.Column("created_at", sa.String(40)),
)

source_sites = sa.Table(
    "source_sites", METADATA,
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("site_id", sa.String(80), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pages", sa.Text, default=""),
)

drafts = sa.Table(
    "drafts", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(80), sa.ForeignKey("sites.id"), unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, default="draft"),
    sa.Column("current_revision_id", sa.Integer),
    sa.Column("published_title", sa.Text),
    sa.Column("published_revid", sa.Integer),
    sa.Column("created_at", sa.String(40)),
    sa.Column("updated_at", sa.String(40)),
)

draft_revisions = sa.Table(
    "draft_revisions", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"), index=True),
    sa.Column("wikitext", sa.Text, nullable=False),
    sa.Column("author", sa.Text, default=""),
    sa.Column("role", sa.String(20), default=""),
    sa.Column("summary", sa.Text, default=""),
    sa.Column("created_at", sa.String(40)),
)

reviews = sa.Table(
    "reviews", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"), index=True),
    sa.Column("revision_id", sa.Integer, sa.ForeignKey("draft_revisions.id")),
    sa.Column("author", sa.Text, default=""),
    sa.Column("role", sa.String(20), default=""),
    sa.Column("action", sa.String(20), nullable=False),  # comment, submit, request_changes, approve, publish
    sa.Column("from_state", sa.String(20)),
    sa.Column("to_state", sa.String(20)),
    sa.Column("comment", sa.Text, default=""),
    sa.Column("created_at", sa.String(40)),
)

# Every publish action, so that running apply again does only what is not done.
publish_journal = sa.Table(
    "publish_journal", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action_key", sa.String(200), unique=True, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # upload, link, edit
    sa.Column("target", sa.Text, nullable=False),  # the file or page title
    _json_col("payload"),
    sa.Column("status", sa.String(12), nullable=False, default="pending"),  # pending, done, failed
    _json_col("result"),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, default=0),
    sa.Column("created_at", sa.String(40)),
    sa.Column("updated_at", sa.String(40)),
)

plan_assignments = sa.Table(
    "plan_assignments", METADATA,
    sa.Column("site_id", sa.String(80), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("team", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("leg_m", sa.Float),
    sa.Column("arrival_min", sa.Float),
)

checklist_state = sa.Table(
    "checklist_state", METADATA,
    sa.Column("checklist", sa.String(80), primary_key=True),
    sa.Column("item", sa.String(200), primary_key=True),
    sa.Column("checked", sa.Boolean, nullable=False, default=False),
    sa.Column("by", sa.Text, default=""),
    sa.Column("updated_at", sa.String(40)),
)

_CORE_V1 = [schema_versions, kv, sites, site_provenance, participants, finds, media, sources, source_sites,
            drafts, draft_revisions, reviews, publish_journal, plan_assignments, checklist_state]


def _core_v1(conn: sa.Connection) -> None:
    METADATA.create_all(conn, tables=_CORE_V1)


# Drafts that are edits of an existing article: the page and the revision the edit was made
# against (publishing refuses when the article changed since), and the text of that revision.
draft_bases = sa.Table(
    "draft_bases", METADATA,
    sa.Column("draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("revid", sa.Integer, nullable=False),
    sa.Column("wikitext", sa.Text, nullable=False),
    sa.Column("fetched_at", sa.String(40)),
)

# The organizer's choice of title for a site whose title is ambiguous on the wiki (or whose
# matched article is not about it): write a new article under ``title``, or edit the article ``title``.
title_choices = sa.Table(
    "title_choices", METADATA,
    sa.Column("site_id", sa.String(80), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("mode", sa.String(8), nullable=False),  # new | edit
    sa.Column("chosen_by", sa.Text, default=""),
    sa.Column("chosen_at", sa.String(40)),
)


def _drafts_v1(conn: sa.Connection) -> None:
    METADATA.create_all(conn, tables=[draft_bases, title_choices])


_SITES_V1_COLUMNS = {"name_key": "TEXT", "kind_origin": "VARCHAR(12)", "municipality_origin": "VARCHAR(12)",
                     "owner": "TEXT", "issues": "JSON"}


def _sites_v1(conn: sa.Connection) -> None:
    """Original text apart from matching keys; where kind and municipality came from; importer findings.
    A store made before this had every kind guessed from the name: say so."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("sites")}
    for name, sql_type in _SITES_V1_COLUMNS.items():
        if name not in have:
            conn.exec_driver_sql(f"ALTER TABLE sites ADD COLUMN {name} {sql_type}")
    if "kind_origin" not in have:
        conn.execute(sites.update().where(sites.c.kind != "").values(kind_origin="name"))


# Participants' bearer tokens for the HTTP API (wikitown.web): only the token's SHA-256 is kept.
api_tokens = sa.Table(
    "api_tokens", METADATA,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("participant_id", sa.String(64), sa.ForeignKey("participants.id"), index=True, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)


def _api_v1(conn: sa.Connection) -> None:
    """Tokens for the phone page's API, and the capture time its outbox sends."""
    api_tokens.create(conn, checkfirst=True)
    if "captured_at" not in {c["name"] for c in sa.inspect(conn).get_columns("finds")}:
        conn.execute(sa.text("ALTER TABLE finds ADD COLUMN captured_at VARCHAR(40)"))


MIGRATIONS: dict[str, list[Callable[[sa.Connection], None]]] = {"core": [_core_v1], "drafts": [_drafts_v1],
                                                                 "sites": [_sites_v1], "api": [_api_v1]}


def register_migrations(component: str, steps: list[Callable[[sa.Connection], None]]) -> None:
    """Let a feature own the evolution of its tables (applied after ``core``)."""
    MIGRATIONS[component] = steps


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NO_LOCK = _NoLock()


def store_url(event_dir: Path, configured: str = "") -> str:
    url = os.environ.get("WIKITOWN_STORE_URL") or configured
    return url or f"sqlite:///{Path(event_dir).resolve() / STORE_FILE}"


class Store:
    """An event's database. ``write()`` for changes, ``read()`` for queries."""

    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine = sa.create_engine(url, **kwargs)
        self._lock = _write_lock(url) if self.is_sqlite else None
        if self.is_sqlite:
            self._setup_sqlite()
        self.migrate()

    def _setup_sqlite(self) -> None:
        @sa_event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # Let SQLAlchemy's begin() emit BEGIN itself (pysqlite's own handling defers it).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @sa_event.listens_for(self.engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN")

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One atomic transaction: everything in it is stored, or nothing is."""
        with self._lock or _NO_LOCK, self.engine.connect() as conn:
            conn.info["immediate"] = True
            try:
                with conn.begin():
                    yield conn
            except sa.exc.OperationalError as exc:
                if "disk is full" in str(exc) or "database or disk is full" in str(exc):
                    raise DiskFull(self.url) from exc
                raise
            finally:
                conn.info.pop("immediate", None)

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def migrate(self) -> dict[str, int]:
        """Bring every component up to its latest version; returns the versions."""
        versions = {}
        with self.write() as conn:
            schema_versions.create(conn, checkfirst=True)
            have = {r.component: r.version for r in conn.execute(sa.select(schema_versions))}
            for component, steps in MIGRATIONS.items():
                current = have.get(component, 0)
                if current > len(steps):
                    raise StoreError(f"the store's {component} schema is version {current}, newer than this "
                                     f"wikitown knows ({len(steps)}): upgrade wikitown")
                for number in range(current, len(steps)):
                    steps[number](conn)
                if current < len(steps):
                    values = {"version": len(steps), "applied_at": now()}
                    if current:
                        conn.execute(schema_versions.update().where(schema_versions.c.component == component)
                                     .values(**values))
                    else:
                        conn.execute(schema_versions.insert().values(component=component, **values))
                versions[component] = len(steps)
        return versions

    def integrity_check(self) -> str:
        if not self.is_sqlite:
            return "ok"
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar()

    def get_kv(self, key: str, default=None):
        with self.read() as conn:
            row = conn.execute(sa.select(kv.c.value).where(kv.c.key == key)).first()
        return default if row is None else row.value

    def set_kv(self, key: str, value, conn: sa.Connection | None = None) -> None:
        def _do(c):
            c.execute(kv.delete().where(kv.c.key == key))
            c.execute(kv.insert().values(key=key, value=value, updated_at=now()))

        if conn is not None:
            _do(conn)
        else:
            with self.write() as c:
                _do(c)

    def dispose(self) -> None:
        self.engine.dispose()


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
