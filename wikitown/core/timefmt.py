"""Times as people read them: local, to the minute, no ISO text.

The store keeps UTC ISO timestamps (``store.db.now``; some older rows carry microseconds).
Shown to a person they are converted to the event's local time: ``WIKITOWN_TIMEZONE`` when set,
else the machine's zone, except that a machine on UTC (a server, a container) is taken to serve
a Japanese event and shows Japan time: wikitown's events are Wikipedia towns in Japan."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Tokyo"
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_zone() -> dt.tzinfo:
    name = os.environ.get("WIKITOWN_TIMEZONE")
    if name:
        try:
            return ZoneInfo(name)
        except Exception:  # a typo in the variable: fall back rather than fail every page
            pass
    here = dt.datetime.now().astimezone().tzinfo
    if here is None or dt.datetime.now(here).utcoffset() == dt.timedelta(0):
        return ZoneInfo(DEFAULT_ZONE)
    return here


def parse_time(value) -> dt.datetime | None:
    """A stored timestamp (ISO text or datetime; naive means UTC) as an aware datetime, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    else:
        try:
            stamp = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def short_time(value, lang: str = "ja", *, today: dt.date | None = None) -> str:
    """``2026-11-28T05:03:12.123456+00:00`` -> ``11月28日 14:03`` (ja) or ``28 Nov 14:03`` (en), in
    local time; the year only when it is not this year. Text that is no timestamp comes back as is."""
    stamp = parse_time(value)
    if stamp is None:
        return "" if value is None else str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        local = stamp
    else:
        local = stamp.astimezone(local_zone())
    this_year = (today or dt.datetime.now(local_zone()).date()).year
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "ja":
        year = "" if local.year == this_year else f"{local.year}年"
        return f"{year}{local.month}月{local.day}日 {clock}"
    year = "" if local.year == this_year else f" {local.year}"
    return f"{local.day} {_EN_MONTHS[local.month - 1]}{year} {clock}"
