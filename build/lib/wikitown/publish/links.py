"""What each site got from publishing: its files on Commons and its draft, from the journal."""

from __future__ import annotations

import sqlalchemy as sa

from wikitown.store.db import publish_journal


def site_links(store) -> dict[str, dict]:
    """{site_id: {"files": ["File:..."], "draft": "Draft:..." or ""}} for done actions."""
    with store.read() as conn:
        rows = conn.execute(sa.select(publish_journal.c.kind, publish_journal.c.payload,
                                      publish_journal.c.result, publish_journal.c.target)
                            .where(publish_journal.c.status == "done")
                            .order_by(publish_journal.c.id)).all()
    out: dict[str, dict] = {}
    for kind, payload, result, target in rows:
        site_id = (payload or {}).get("site_id")
        if not site_id:
            continue
        entry = out.setdefault(site_id, {"files": [], "draft": ""})
        title = (result or {}).get("title") or target
        if kind in ("upload", "link"):
            if title not in entry["files"]:
                entry["files"].append(title)
        elif kind == "edit":
            entry["draft"] = title
    return out
