"""Where the teams start: a site of the event (by name or id), a place name such as a station
(looked up with the geocoder when there is a network), or ``LAT,LON`` as a last resort.

Organizers think of "焼津駅" or "焼津神社", not of coordinates; the command line and the app
both resolve the start here.
"""

from __future__ import annotations

from dataclasses import dataclass

from wikitown.core.errors import InputError, WikitownError
from wikitown.core.geo import parse_latlon, valid_coord
from wikitown.core.normalize import nfkc


@dataclass
class Start:
    lat: float
    lon: float
    label: str  # what the organizer gave, as shown on sheets ("焼津駅", a site's name, or the coordinates)
    site_id: str = ""


def _looks_like_coords(text: str) -> bool:
    parts = text.replace("，", ",").split(",")
    if len(parts) != 2:
        return False
    try:
        float(parts[0]), float(parts[1])
    except ValueError:
        return False
    return True


def resolve_start(text: str, sites=(), geocoder=None, *, near: str = "") -> Start:
    """The start point ``text`` names. ``sites``: objects with ``id``, ``name``, ``lat``, ``lon``
    (the event's sites or a CSV's). ``geocoder``: something with ``lookup(query) -> (lat, lon,
    address) | None`` (``sources.nominatim.Geocoder``), tried last, with ``near`` (the event's
    municipality) added to the query. Raises InputError naming what was tried."""
    raw = " ".join(str(text or "").split())
    if not raw:
        raise InputError("no start point given", key="plan.error.start", value="")
    if _looks_like_coords(raw):
        try:
            lat, lon = parse_latlon(raw)
        except ValueError:
            raise InputError(f"not a valid start point: {raw}", key="plan.error.start", value=raw) from None
        return Start(lat, lon, "")
    key = nfkc(raw)
    placed = [s for s in sites if valid_coord(s.lat, s.lon)]
    for match in ([s for s in placed if nfkc(s.id) == key],
                  [s for s in placed if nfkc(s.name) == key],
                  [s for s in placed if key in nfkc(s.name)]):
        if len(match) == 1:
            s = match[0]
            return Start(s.lat, s.lon, s.name, s.id)
        if len(match) > 1:
            names = "、".join(f"{s.name}（{s.id}）" for s in match[:5])
            raise InputError(f"several sites match {raw!r}: {names}", key="plan.error.start_ambiguous",
                             value=raw, names=names)
    if geocoder is not None:
        query = f"{raw} {near}".strip() if near and near not in raw else raw
        try:
            found = geocoder.lookup(query)
        except WikitownError:
            found = None
            offline = True
        else:
            offline = False
        if found and valid_coord(found[0], found[1]):
            return Start(float(found[0]), float(found[1]), raw)
        if offline:
            raise InputError(f"{raw!r} is not a site, and place names cannot be looked up offline",
                             key="plan.error.start_offline", value=raw)
    raise InputError(f"{raw!r} is neither a site nor a place found; expected LAT,LON, a site name or id",
                     key="plan.error.start_unknown", value=raw)
