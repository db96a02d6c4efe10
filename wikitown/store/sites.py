"""The event's heritage sites in the store: the one module that reads and writes the ``sites`` table
(and each site's provenance, the source records behind it).

Everything else asks here, in :class:`wikitown.core.site.Site` terms: ``load_sites`` for sites,
``upsert_sites`` for merged rows, ``set_selected`` for walk targets, ``set_article_statuses`` for
what the wiki said. ``sites_frame`` gives the same rows as a pandas frame for the app's tables.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import sqlalchemy as sa

from wikitown.core.site import Site
from wikitown.store.db import METADATA, Store, now, site_provenance, sites

SITE_COLUMNS = [c.name for c in sites.columns]
# The columns of the sites CSV every command and export agrees on.
CSV_COLUMNS = ["site_id", "name", "name_kana", "designation", "category", "municipality", "address", "lat",
               "lon", "coord_status", "sources", "wikidata_id", "article_status", "article_title", "has_photo"]
# Tables whose rows point at a site: moved with it when sites merge.
REFERENCING = ("finds", "drafts", "plan_assignments", "source_sites")


def site_id_for(source: str, source_id: str) -> str:
    """A stable id for a site first seen in ``source`` as ``source_id``."""
    return "s" + hashlib.sha1(f"{source}\x1f{source_id}".encode()).hexdigest()[:11]


def site_values(site: Site) -> dict:
    """A Site as the sites table's values (no provenance)."""
    data = site.to_dict()
    row = {k: v for k, v in data.items() if k in SITE_COLUMNS}
    row["other_articles"] = dict(site.articles)
    row["name_key"] = site.name_key
    return row


# What the event found out about a site (the wiki's answer, photos, walk targets, evidence): kept
# when the sources are merged again.
EVENT_COLUMNS = ("article_status", "article_title", "has_photo", "selected", "article_checked_at", "data",
                 "created_at", "updated_at")


def source_values(site: Site) -> dict:
    """The values a merge of source records sets (never the event's own findings)."""
    return {k: v for k, v in site_values(site).items() if k not in EVENT_COLUMNS and k != "id"}


def site_from_row(row) -> Site:
    """A sites-table row (or a row of the sites CSV) as a Site."""
    return Site.from_dict(dict(row))


def upsert_sites(store: Store, records: list, conn: sa.Connection | None = None) -> int:
    """Insert or update sites. Each record is a Site or a dict of site columns plus an
    optional ``provenance`` list of {source, source_id, data}."""
    if not records:
        return 0
    records = [site_values(r) if isinstance(r, Site) else r for r in records]
    stamp = now()

    def _do(c: sa.Connection) -> int:
        existing = {r[0] for r in c.execute(sa.select(sites.c.id).where(
            sites.c.id.in_([r["id"] for r in records])))}
        for rec in records:
            values = {k: v for k, v in rec.items() if k in SITE_COLUMNS}
            if "name" in values:
                values["name_key"] = Site(name=values["name"] or "").name_key
            values["updated_at"] = stamp
            if rec["id"] in existing:
                c.execute(sites.update().where(sites.c.id == rec["id"]).values(**values))
            else:
                values.setdefault("created_at", stamp)
                c.execute(sites.insert().values(**values))
            for prov in rec.get("provenance", []):
                c.execute(site_provenance.delete().where(
                    (site_provenance.c.source == prov["source"]) &
                    (site_provenance.c.source_id == str(prov["source_id"]))))
                c.execute(site_provenance.insert().values(
                    site_id=rec["id"], source=prov["source"], source_id=str(prov["source_id"]),
                    data=prov.get("data"), fetched_at=stamp))
        return len(records)

    if conn is not None:
        return _do(conn)
    with store.write() as c:
        return _do(c)


def load_sites(store: Store, site_ids: list[str] | None = None, *, order_by: str = "name") -> list[Site]:
    """The event's sites (all, or those with the given ids), ordered by name or id."""
    with store.read() as conn:
        return [site_from_row(r) for r in table_rows(conn, site_ids, order_by=order_by)]


def table_rows(conn: sa.Connection, site_ids=None, *, order_by: str = "name") -> list[dict]:
    """The sites table's rows as dicts, inside a caller's transaction (reports that read other
    tables in the same snapshot)."""
    q = sa.select(sites).order_by(*((sites.c.id,) if order_by == "id" else (sites.c.name, sites.c.id)))
    if site_ids is not None:
        q = q.where(sites.c.id.in_(list(site_ids)))
    return [dict(r) for r in conn.execute(q).mappings()]


def _wanted(columns: list[str] | None) -> list[str]:
    return SITE_COLUMNS if columns is None else ["id"] + [c for c in SITE_COLUMNS if c in columns and c != "id"]


def site_rows(store: Store, columns: list[str] | None = None) -> list[dict]:
    """Every site as a dict of its columns, ordered by name, with the sources that know it
    (``sources``) and each source's own id (``source_ids``: "wikidata=Q123;osm=way/45").
    Only ``columns`` (and id) when given: the app leaves out the large JSON ones."""
    wanted = _wanted(columns)
    with store.read() as conn:
        rows = conn.execute(sa.select(*[sites.c[c] for c in wanted]).order_by(sites.c.name)).mappings().all()
        provs = conn.execute(sa.select(site_provenance.c.site_id, site_provenance.c.source,
                                       site_provenance.c.source_id)).all()
    by_site: dict[str, list[str]] = {}
    ids: dict[str, list[str]] = {}
    for site_id, source, source_id in provs:
        by_site.setdefault(site_id, []).append(source)
        ids.setdefault(site_id, []).append(f"{source}={source_id}")
    out = []
    for r in rows:
        row = {c: r.get(c) for c in wanted}
        row["sources"] = ";".join(sorted(set(by_site.get(r["id"], []))))
        row["source_ids"] = ";".join(sorted(ids.get(r["id"], [])))
        out.append(row)
    return out


def sites_frame(store: Store, columns: list[str] | None = None):
    """:func:`site_rows` as a pandas frame, for the app's tables (st.data_editor) and exports."""
    import pandas as pd

    return pd.DataFrame(site_rows(store, columns), columns=_wanted(columns) + ["sources", "source_ids"])


def count_sites(store: Store) -> int:
    with store.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sites)).scalar_one()


def site_points(conn: sa.Connection, site_ids=None) -> dict[str, tuple]:
    """{site id: (name, lat, lon)} inside a caller's transaction (photos, finds, maps)."""
    q = sa.select(sites.c.id, sites.c.name, sites.c.lat, sites.c.lon)
    if site_ids is not None:
        q = q.where(sites.c.id.in_(list(site_ids)))
    return {r.id: (r.name, r.lat, r.lon) for r in conn.execute(q)}


def set_selected(store: Store, changes: dict[str, bool]) -> int:
    """Mark sites as walk targets (True) or not, in one transaction. The site's data is unchanged, so
    ``updated_at`` is too (the app caches the sites per revision and reads the targets on every run)."""
    if changes:
        with store.write() as conn:
            for value in (True, False):
                ids = [sid for sid, v in changes.items() if bool(v) is value]
                for start in range(0, len(ids), 500):  # a prefecture's 20,000 in 40 statements
                    conn.execute(sa.update(sites).where(sites.c.id.in_(ids[start:start + 500])).values(selected=value))
    return len(changes)


def set_article_statuses(store: Store, statuses) -> int:
    """Write what the wiki said about each site (``ArticleStatus`` items) in one transaction."""
    stamp = now()
    with store.write() as conn:
        current = {r.id: r.data for r in conn.execute(
            sa.select(sites.c.id, sites.c.data).where(sites.c.id.in_([s.site_id for s in statuses])))}
        for st in statuses:
            if st.site_id not in current:
                continue
            data = dict(current[st.site_id] or {})
            data["article_evidence"] = {k: v for k, v in st.evidence.items() if k != "error"}
            values = {"article_status": st.status, "article_title": st.title, "other_articles": st.other_articles,
                      "has_photo": st.has_photo, "data": data, "updated_at": stamp}
            if st.status != "unchecked":
                values["article_checked_at"] = stamp
            conn.execute(sites.update().where(sites.c.id == st.site_id).values(**values))
    return len(statuses)


def raw_source_rows(store: Store) -> dict[str, list[dict]]:
    """Each site's raw source rows (所有者, 場所名称 ... as each source gave them), by site id."""
    out: dict[str, list[dict]] = {}
    with store.read() as conn:
        for site_id, data in conn.execute(sa.select(site_provenance.c.site_id, site_provenance.c.data)):
            raw = data.get("data") if isinstance(data, dict) else None
            if isinstance(raw, dict):
                out.setdefault(site_id, []).append(raw)
    return out


def set_has_photo(conn: sa.Connection, site_id: str) -> None:
    conn.execute(sites.update().where(sites.c.id == site_id).values(has_photo=True, updated_at=now()))


# ---------------------------------------------------------------------------------------------
# provenance: the source records behind the sites (for merging again)


def record_to_site(rec: Site) -> dict:
    """A source's record as a site row with its provenance (one source, no merge)."""
    row = site_values(rec)
    row["id"] = site_id_for(rec.source, rec.source_id)
    row["provenance"] = [{"source": rec.source, "source_id": rec.source_id, "data": rec.to_dict()}]
    return row


def stored_records(conn: sa.Connection) -> tuple[list[Site], dict[tuple[str, str], str]]:
    """Every source record in the store and {(source, source_id): site id}."""
    records, owner = [], {}
    for row in conn.execute(sa.select(site_provenance.c.site_id, site_provenance.c.source,
                                      site_provenance.c.source_id, site_provenance.c.data)):
        data = dict(row.data or {})
        data.setdefault("source", row.source)
        data.setdefault("source_id", row.source_id)
        data.setdefault("name", "")
        data.pop("id", None)  # a record's site is the provenance row's, not what it said when stored
        if data.get("kind") and "kind_origin" not in data:
            data["kind_origin"] = "name"  # stored before kinds had origins: they were guessed from names
        rec = Site.from_dict(data)
        records.append(rec)
        owner[(rec.source, str(rec.source_id))] = row.site_id
    return records, owner


def sites_of_source(conn: sa.Connection, source: str) -> list[tuple[str, str]]:
    """(site id, fetched_at) of every site a source (``opendata:<file>``) supplied."""
    return [(r.site_id, r.fetched_at) for r in conn.execute(
        sa.select(site_provenance.c.site_id, site_provenance.c.fetched_at).where(site_provenance.c.source == source))]


def opendata_sources(conn: sa.Connection) -> list[str]:
    """Every ``opendata:<file>`` source that supplied a site, configured in event.toml or not."""
    return sorted(conn.execute(sa.select(site_provenance.c.source).distinct()
                               .where(site_provenance.c.source.like("opendata:%"))).scalars())


def all_site_ids(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.select(sites.c.id)).scalars())


def clear_provenance(conn: sa.Connection) -> None:
    """Before writing a fresh merge: every record is written again with its site."""
    conn.execute(site_provenance.delete())


def record_keys(store: Store, site_ids: list[str]) -> dict[str, list[list[str]]]:
    """{site id: [[source, source_id], ...]}: the records behind each site."""
    with store.read() as conn:
        rows = conn.execute(sa.select(site_provenance.c.site_id, site_provenance.c.source,
                                      site_provenance.c.source_id)
                            .where(site_provenance.c.site_id.in_(site_ids))).all()
    out: dict[str, list[list[str]]] = defaultdict(list)
    for sid, source, source_id in rows:
        out[sid].append([source, source_id])
    return out


def delete_site(conn: sa.Connection, site_id: str) -> None:
    conn.execute(sites.delete().where(sites.c.id == site_id))


def referenced(conn: sa.Connection, site_id: str) -> bool:
    """Whether finds, drafts, plans or the book register point at the site."""
    for name in REFERENCING:
        table = METADATA.tables[name]
        if conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.site_id == site_id)).scalar():
            return True
    return False


def move_references(conn: sa.Connection, old: str, new: str) -> int:
    """Point what referred to ``old`` at ``new`` (a manual or automatic merge); ``old`` goes
    when nothing refers to it any more."""
    count = 0
    for name in REFERENCING:
        table = METADATA.tables[name]
        for row in conn.execute(sa.select(table).where(table.c.site_id == old)).mappings().all():
            pk = [c for c in table.primary_key.columns]
            where = sa.and_(*[c == row[c.name] for c in pk])
            clash = False
            if name in ("drafts", "plan_assignments"):
                clash = bool(conn.execute(sa.select(sa.func.count()).select_from(table)
                                          .where(table.c.site_id == new)).scalar())
            elif name == "source_sites":
                clash = bool(conn.execute(sa.select(sa.func.count()).select_from(table).where(
                    (table.c.site_id == new) & (table.c.source_id == row["source_id"]))).scalar())
            if clash:
                if name in ("plan_assignments", "source_sites"):
                    conn.execute(table.delete().where(where))
                continue  # a second draft for one site stays with the old site
            conn.execute(table.update().where(where).values(site_id=new))
            count += 1
    if not referenced(conn, old):
        delete_site(conn, old)
    return count


def site_name(conn: sa.Connection, site_id: str) -> str:
    return conn.execute(sa.select(sites.c.name).where(sites.c.id == site_id)).scalar() or ""


def walk_site_rows(conn: sa.Connection, limit: int) -> list[dict]:
    """The walk's located sites: the selected ones, or every located site when none is selected
    (id, name, lat, lon, article_status, has_photo, selected), at most ``limit``, by id."""
    query = sa.select(sites.c.id, sites.c.name, sites.c.lat, sites.c.lon, sites.c.article_status,
                      sites.c.has_photo, sites.c.selected).where(sites.c.lat.is_not(None))
    if conn.execute(sa.select(sites.c.id).where(sites.c.selected.is_(True)).limit(1)).first():
        query = query.where(sites.c.selected.is_(True))
    return [dict(r) for r in conn.execute(query.order_by(sites.c.id).limit(limit)).mappings()]


def sites_fingerprint(store: Store) -> tuple:
    """A cheap value that changes whenever the sites' data changes (not their selection): the row
    count, the latest ``updated_at``, the sums of the coordinates (a script may move a site without
    ``updated_at``) and the provenance rows. A few ms at 20,000 sites; the app caches per value."""
    with store.read() as conn:
        row = conn.execute(sa.select(sa.func.count(), sa.func.max(sites.c.updated_at),
                                     sa.func.sum(sites.c.lat), sa.func.sum(sites.c.lon))).one()
        provenance = conn.execute(sa.select(sa.func.count()).select_from(site_provenance)).scalar_one()
    return (*tuple(row), provenance)


def selected_site_ids(store: Store) -> frozenset[str]:
    """The walk targets, now."""
    with store.read() as conn:
        return frozenset(conn.execute(sa.select(sites.c.id).where(sites.c.selected.is_(True))).scalars())


def site_places(store: Store) -> dict[str, dict]:
    """id -> {id, name, municipality, address, lat, lon} for every site, by name: what pickers and maps
    show (people know a site by its name and where it is)."""
    with store.read() as conn:
        rows = conn.execute(sa.select(sites.c.id, sites.c.name, sites.c.municipality, sites.c.address,
                                      sites.c.lat, sites.c.lon).order_by(sites.c.name, sites.c.id)).all()
    return {r.id: {"id": r.id, "name": r.name, "municipality": r.municipality or "", "address": r.address or "",
                   "lat": r.lat, "lon": r.lon} for r in rows}
