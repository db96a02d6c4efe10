"""The event's heritage sites in the store: write merged records, read them back."""

from __future__ import annotations

import hashlib

import pandas as pd
import sqlalchemy as sa

from wikitown.store.db import Store, now, site_provenance, sites

SITE_COLUMNS = [c.name for c in sites.columns]
# The columns of the sites CSV every command and export agrees on.
CSV_COLUMNS = ["site_id", "name", "name_kana", "designation", "category", "municipality", "address", "lat",
               "lon", "coord_status", "sources", "wikidata_id", "article_status", "article_title", "has_photo"]


def site_id_for(source: str, source_id: str) -> str:
    """A stable id for a site first seen in ``source`` as ``source_id``."""
    return "s" + hashlib.sha1(f"{source}\x1f{source_id}".encode()).hexdigest()[:11]


def upsert_sites(store: Store, records: list[dict], conn: sa.Connection | None = None) -> int:
    """Insert or update sites. Each record is a dict of site columns plus an
    optional ``provenance`` list of {source, source_id, data}."""
    if not records:
        return 0
    stamp = now()

    def _do(c: sa.Connection) -> int:
        existing = {r[0] for r in c.execute(sa.select(sites.c.id).where(
            sites.c.id.in_([r["id"] for r in records])))}
        for rec in records:
            values = {k: v for k, v in rec.items() if k in SITE_COLUMNS}
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


def sites_frame(store: Store, columns: list[str] | None = None) -> pd.DataFrame:
    """Every site, one row each, with the names of the sources that know it (only ``columns`` of
    the sites table, and id, when given: the app leaves out the large JSON ones)."""
    wanted = SITE_COLUMNS if columns is None else ["id"] + [c for c in SITE_COLUMNS if c in columns and c != "id"]
    with store.read() as conn:
        rows = conn.execute(sa.select(*[sites.c[c] for c in wanted]).order_by(sites.c.name)).all()
        provs = conn.execute(sa.select(site_provenance.c.site_id, site_provenance.c.source,
                                       site_provenance.c.source_id)).all()
    by_site: dict[str, list[str]] = {}
    ids: dict[str, list[str]] = {}
    for site_id, source, source_id in provs:
        by_site.setdefault(site_id, []).append(source)
        ids.setdefault(site_id, []).append(f"{source}={source_id}")
    frame = pd.DataFrame([tuple(r) for r in rows], columns=wanted)
    frame["sources"] = [";".join(sorted(set(by_site.get(i, [])))) for i in frame["id"]]
    # every source's own id for the site (its provenance), e.g. "wikidata=Q123;osm=way/45"
    frame["source_ids"] = [";".join(sorted(ids.get(i, []))) for i in frame["id"]]
    return frame


def count_sites(store: Store) -> int:
    with store.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sites)).scalar_one()


def record_to_site(rec) -> dict:
    """A :class:`SiteRecord` as a site row with its provenance (one source, no merge)."""
    from dataclasses import asdict

    data = asdict(rec)
    row = {k: v for k, v in data.items() if k in SITE_COLUMNS and k not in ("data",)}
    row["id"] = site_id_for(rec.source, rec.source_id)
    row["other_articles"] = {k: v for k, v in rec.articles.items()}
    row["provenance"] = [{"source": rec.source, "source_id": rec.source_id, "data": data}]
    return row
