"""The organizer's publish decisions, kept in the event's store (``kv``), read by every plan:

- photos released from a hold (``publish.released``: {media sha1: {by, at, reasons}});
- categories dropped or renamed (``publish.categories``: {name: new name, or "" to drop});
- VRT tickets received per author (``publish.vrt_tickets``: {author key: ticket}).
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from wikitown.core.errors import InputError
from wikitown.store.db import kv, now

RELEASED = "publish.released"
CATEGORIES = "publish.categories"
TICKETS = "publish.vrt_tickets"


def _get(store, key: str) -> dict:
    value = store.get_kv(key, {})
    return dict(value) if isinstance(value, dict) else {}


def _update(store, key: str, change) -> dict:
    with store.write() as conn:
        row = conn.execute(sa.select(kv.c.value).where(kv.c.key == key)).first()
        value = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
        change(value)
        store.set_kv(key, value, conn=conn)
    return value


def released(store) -> dict[str, dict]:
    return _get(store, RELEASED)


def release(store, media_sha1: str, by: str, reasons: list[str] | None = None) -> None:
    """Publish this held photo after all (the organizer looked at it)."""
    _update(store, RELEASED, lambda v: v.__setitem__(media_sha1, {"by": by, "at": now(),
                                                                  "reasons": list(reasons or [])}))


def hold_again(store, media_sha1: str) -> None:
    _update(store, RELEASED, lambda v: v.pop(media_sha1, None))


def category_changes(store) -> dict[str, str]:
    return {str(k): str(v or "") for k, v in _get(store, CATEGORIES).items()}


def change_category(store, name: str, new: str | None) -> None:
    """Rename category ``name`` to ``new`` ("" drops it; None forgets the change)."""
    from wikitown.publish.filepage import category_name

    name = category_name(name)
    if not name:
        raise InputError("a category name is needed", key="publish.error.category_name")

    def change(value):
        if new is None:
            value.pop(name, None)
        else:
            value[name] = category_name(new)

    _update(store, CATEGORIES, change)


def author_key(name: str) -> str:
    """The same author whatever the spacing, width or case they were typed with."""
    # Japanese names are written with or without a space between family and given name.
    return "".join(unicodedata.normalize("NFKC", str(name or "")).casefold().replace("_", " ").split())


def known_authors(store) -> set[str]:
    """Author keys of everyone credited in the event (credits, display names, wiki user names)."""
    from wikitown.store.db import finds, participants

    with store.read() as conn:
        names = [*conn.execute(sa.select(participants.c.display_name, participants.c.wiki_user)).all(),
                 *conn.execute(sa.select(finds.c.credit, finds.c.credit)).all()]
    return {author_key(n) for pair in names for n in pair if n}


def vrt_tickets(store) -> dict[str, str]:
    return {str(k): str(v) for k, v in _get(store, TICKETS).items()}


def set_ticket(store, author: str, ticket: str) -> None:
    from wikitown.publish.filepage import valid_ticket

    if not valid_ticket(ticket):
        raise InputError(f"not a VRT ticket number: {ticket!r}", key="publish.error.vrt_ticket", ticket=ticket)
    _update(store, TICKETS, lambda v: v.__setitem__(author_key(author), ticket.strip()))
