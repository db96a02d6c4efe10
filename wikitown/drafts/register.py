"""An event's source register: the books, web pages and datasets librarians bring,
and which sites each one is about (tables ``sources`` and ``source_sites``)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from wikitown.drafts import isbn as isbn_mod
from wikitown.drafts.citations import KINDS, Source, read_citations
from wikitown.core.errors import InputError
from wikitown.core.normalize import nfkc
from wikitown.store.db import Store, now, source_sites, sources

# Licences open data portals in Japan state (the CC family, ODbL, the government's terms of use).
LICENCE_RE = re.compile(r"CC[ -]?BY(?:[ -](?:SA|ND|NC))*(?:[ -]\d\.\d)?|CC0(?:[ -]1\.0)?|ODbL(?:[ -]1\.0)?|"
                        r"政府標準利用規約(?:[(（]第\d\.\d版[)）])?|公共データ利用規約(?:[(（]第\d\.\d版[)）])?",
                        re.IGNORECASE)


def clean(source: Source) -> Source:
    """Normalise and validate one source; raises :class:`InputError` naming the field."""
    if source.kind not in KINDS:
        raise InputError(f"unknown source kind {source.kind!r}", key="citations.error.kind", kind=source.kind)
    for name in ("title", "authors", "publisher", "year", "pages", "call_number", "website", "access_date",
                 "added_by"):
        setattr(source, name, nfkc(getattr(source, name)))
    source.url = str(source.url or "").strip()
    if not source.title:
        raise InputError("a source needs a title", key="citations.error.no_title")
    if source.isbn:
        isbn_mod.validate(source.isbn)  # raises InvalidISBN naming it
        source.isbn = isbn_mod.display(source.isbn)
    if source.kind == "web" and not source.url:
        raise InputError("a web page needs its URL", key="citations.error.no_url")
    if source.url and not source.url.lower().startswith(("http://", "https://")):
        raise InputError(f"not a web address: {source.url!r}", key="citations.error.bad_url", url=source.url)
    return source


def add_source(store: Store, source: Source, site_ids: list[str] | None = None, *, pages: str = "",
               conn: sa.Connection | None = None) -> int:
    """Store a source (the same ISBN or URL is one source) and link it to sites. Returns its id."""
    source = clean(source)

    def _do(c: sa.Connection) -> int:
        existing = _find_same(c, source)
        if existing is None:
            source_id = c.execute(sources.insert().values(**source.row(), created_at=now())).inserted_primary_key[0]
        else:
            source_id = existing
        for site_id in site_ids or []:
            link_site(store, source_id, site_id, pages=pages, conn=c)
        return int(source_id)

    if conn is not None:
        return _do(conn)
    with store.write() as c:
        return _do(c)


def _find_same(c: sa.Connection, source: Source) -> int | None:
    if source.isbn:
        wanted = isbn_mod.to_isbn13(source.isbn)
        for row in c.execute(sa.select(sources.c.id, sources.c.isbn).where(sources.c.isbn != "")):
            if isbn_mod.is_valid(row.isbn) and isbn_mod.to_isbn13(row.isbn) == wanted:
                return row.id
        return None
    if source.url:
        same = sources.c.url == source.url
        if source.kind == "dataset":  # one portal URL often serves several datasets
            same = same & (sources.c.title == source.title)
        row = c.execute(sa.select(sources.c.id).where(same)).first()
        return row.id if row else None
    row = c.execute(sa.select(sources.c.id).where((sources.c.title == source.title) &
                                                  (sources.c.kind == source.kind) &
                                                  (sources.c.publisher == source.publisher))).first()
    return row.id if row else None


def link_site(store: Store, source_id: int, site_id: str, *, pages: str = "",
              conn: sa.Connection | None = None) -> None:
    def _do(c: sa.Connection) -> None:
        c.execute(source_sites.delete().where((source_sites.c.source_id == source_id) &
                                              (source_sites.c.site_id == site_id)))
        c.execute(source_sites.insert().values(source_id=source_id, site_id=site_id, pages=nfkc(pages)))

    if conn is not None:
        _do(conn)
    else:
        with store.write() as c:
            _do(c)


def unlink_site(store: Store, source_id: int, site_id: str) -> None:
    with store.write() as c:
        c.execute(source_sites.delete().where((source_sites.c.source_id == source_id) &
                                              (source_sites.c.site_id == site_id)))


def list_sources(store: Store) -> list[Source]:
    with store.read() as c:
        rows = c.execute(sa.select(sources).order_by(sources.c.id)).mappings().all()
    return [Source.from_row(r) for r in rows]


def get_source(store: Store, source_id: int) -> Source | None:
    with store.read() as c:
        row = c.execute(sa.select(sources).where(sources.c.id == source_id)).mappings().first()
    return Source.from_row(row) if row else None


def sources_for_site(store: Store, site_id: str) -> list[tuple[Source, str]]:
    """(source, pages about this site) for every source linked to the site."""
    with store.read() as c:
        rows = c.execute(sa.select(sources, source_sites.c.pages.label("site_pages"))
                         .join(source_sites, source_sites.c.source_id == sources.c.id)
                         .where(source_sites.c.site_id == site_id).order_by(sources.c.id)).mappings().all()
    return [(Source.from_row(r), r["site_pages"] or "") for r in rows]


def sources_by_site(store: Store) -> dict[str, list[tuple[Source, str]]]:
    """The same for every site at once (one query, for building many drafts)."""
    with store.read() as c:
        rows = c.execute(sa.select(sources, source_sites.c.site_id, source_sites.c.pages.label("site_pages"))
                         .join(source_sites, source_sites.c.source_id == sources.c.id)
                         .order_by(sources.c.id)).mappings().all()
    out: dict[str, list[tuple[Source, str]]] = {}
    for r in rows:
        out.setdefault(r["site_id"], []).append((Source.from_row(r), r["site_pages"] or ""))
    return out


def site_ids_for(store: Store, source_id: int) -> list[str]:
    with store.read() as c:
        return [r[0] for r in c.execute(sa.select(source_sites.c.site_id)
                                        .where(source_sites.c.source_id == source_id))]


def import_wikitext(store: Store, wikitext: str, *, added_by: str = "", site_ids: list[str] | None = None
                    ) -> tuple[list[int], list[str]]:
    """Read an article's citations into the register. Returns (ids, per-citation problems):
    one bad citation is reported and the rest are still stored."""
    ids, problems = [], []
    with store.write() as c:
        for src in read_citations(wikitext):
            src.added_by = added_by
            try:
                ids.append(add_source(store, src, site_ids, conn=c))
            except InputError as exc:
                problems.append(f"{src.title or src.url}: {exc}")
    return ids, problems


def register_opendata(event) -> list[int]:
    """The event's open data files as dataset sources, each linked to the sites it supplied: the
    facts of a generated draft come from them, so they are cited. Files in ``[[opendata]]`` (event.toml)
    with their name, URL and licence; a file imported without an entry there (``sites import --event``,
    the app's Sites page) under its file name, with the attribution's URL and licence if any.

    Idempotent. The dataset's URL is the first web address in the event's attribution, if any;
    its access date is the day the file was imported; its publisher the municipality its sites lie in."""
    import re
    from pathlib import Path
    from types import SimpleNamespace

    from wikitown.store.sites import opendata_sources, sites_of_source, table_rows

    cfg = event.config
    url_match = re.search(r"https?://[^\s)）]+", cfg.attribution or "")
    ids = []
    attribution_licence = licence_in(cfg.attribution or "")
    with event.store.write() as c:
        configured = {f"opendata:{Path(entry.file).name}": entry for entry in cfg.opendata}
        imported = [SimpleNamespace(file=label.split(":", 1)[1], name="")
                    for label in opendata_sources(c) if label not in configured]
        for entry in [*cfg.opendata, *imported]:
            label = f"opendata:{Path(entry.file).name}"
            rows = sites_of_source(c, label)
            if not rows:
                continue
            fetched = min((fetched_at or "") for _sid, fetched_at in rows)[:10]
            data = {"file": entry.file}
            licence = getattr(entry, "licence", "") or attribution_licence
            if licence:
                data["licence"] = licence
            # Who publishes it: the one municipality its sites lie in; the event's when they name none; nobody
            # named when they lie in several (a list of several wards is not the event ward's).
            towns = {r["municipality"] for r in table_rows(c, [sid for sid, _ in rows]) if r["municipality"]}
            publisher = towns.pop() if len(towns) == 1 else ("" if towns else cfg.area.municipality)
            source = Source("dataset", entry.name or Path(entry.file).name, publisher=publisher,
                            url=getattr(entry, "url", "") or (url_match.group(0) if url_match else ""),
                            access_date=fetched, added_by="wikitown", data=data)
            source_id = add_source(event.store, source, conn=c)
            if licence:  # a source registered before the licence was known gets it now
                stored = c.execute(sa.select(sources.c.data).where(sources.c.id == source_id)).scalar() or {}
                if stored.get("licence") != licence:
                    c.execute(sources.update().where(sources.c.id == source_id)
                              .values(data={**stored, "licence": licence}))
            linked = {r[0] for r in c.execute(sa.select(source_sites.c.site_id)
                                              .where(source_sites.c.source_id == source_id))}
            for site_id in {sid for sid, _fetched_at in rows} - linked:
                c.execute(source_sites.insert().values(source_id=source_id, site_id=site_id, pages=""))
            ids.append(source_id)
    return ids



def licence_in(text: str) -> str:
    """The open licence named in an attribution line (``CC BY 4.0``, ``CC0``, ``ODbL`` ...), or ""."""
    match = LICENCE_RE.search(nfkc(text or ""))
    return match.group(0) if match else ""
