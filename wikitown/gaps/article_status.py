"""Does a site have an article on the target wiki? With the evidence for each answer.

* ``exists``: a Wikidata sitelink to the wiki, or a page with the site's title (redirects
  followed), that is not a disambiguation page.
* ``ambiguous``: the title is a disambiguation page (page property ``disambiguation``, as
  Extension:Disambiguator sets it on jawiki, or a disambiguation category) and no more
  specific title such as ``常楽寺 (焼津市)`` exists.
* ``possible``: a geotagged article near the site (GeoData's geosearch) has a similar title:
  a person should check.
* ``missing``: none of these.
* ``unchecked``: the wiki could not be asked. Nothing is ever guessed.

Every wiki query is batched: titles 50 a request (``MediaWikiAPI.batch``), and the area's
geotagged articles in a few bounding boxes. Never one request per site.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from wikitown.core.errors import ServiceError, ServiceUnavailable, WikitownError
from wikitown.core.geo import GridIndex, degrees_for, haversine_m
from wikitown.gaps.merge import name_key
from wikitown.net.mwapi import MediaWikiAPI

STATUSES = ("exists", "ambiguous", "possible", "missing", "unchecked")
DISAMBIGUATION_CATEGORIES = ("Category:曖昧さ回避", "Category:すべての曖昧さ回避", "Category:Disambiguation pages",
                             "Category:All disambiguation pages")
NEAR_M = 300.0
SIMILAR = 70.0
TILE_KM = 10.0  # GeoData refuses boxes much bigger than its maximum radius (10 km by default)
GEOSEARCH_LIMIT = 500
_BAD_TITLE_CHARS = set("#<>[]|{}")

PAGE_PROPS = {"prop": "info|pageprops|categories|langlinks|pageimages", "ppprop": "disambiguation",
              "clcategories": "|".join(DISAMBIGUATION_CATEGORIES), "cllimit": "max", "lllimit": "max",
              "piprop": "name", "pilimit": "max"}


@dataclass
class ArticleStatus:
    site_id: str
    status: str
    title: str = ""
    evidence: dict = field(default_factory=dict)
    other_articles: dict = field(default_factory=dict)
    has_photo: bool | None = None


def usable_title(text: str) -> str:
    text = " ".join((text or "").split())
    if not text or any(c in _BAD_TITLE_CHARS for c in text) or len(text.encode("utf-8")) > 255:
        return ""
    return text


def disambiguation_mark(page: dict) -> str:
    """How a page is marked as a disambiguation page: "pageprops", "category" or ""."""
    if "disambiguation" in (page.get("pageprops") or {}):
        return "pageprops"
    cats = {c.get("title", "") for c in page.get("categories") or []}
    if cats & set(DISAMBIGUATION_CATEGORIES):
        return "category"
    return ""


def _exists(page: dict | None) -> bool:
    return bool(page) and not page.get("missing") and not page.get("invalid")


def _langlinks(page: dict | None) -> dict:
    out = {}
    for link in (page or {}).get("langlinks") or []:
        title = link.get("title") or link.get("*")
        if link.get("lang") and title:
            out[link["lang"]] = title
    return out


def _tiles(points: list[tuple[float, float]], pad_m: float, tile_km: float) -> list[tuple]:
    """Boxes of at most tile_km a side covering the points (empty tiles dropped)."""
    if not points:
        return []
    mid_lat = (min(p[0] for p in points) + max(p[0] for p in points)) / 2
    dlat_pad, dlon_pad = degrees_for(pad_m, mid_lat)
    south = min(p[0] for p in points) - dlat_pad
    north = max(p[0] for p in points) + dlat_pad
    west = min(p[1] for p in points) - dlon_pad
    east = max(p[1] for p in points) + dlon_pad
    step_lat, step_lon = degrees_for(tile_km * 1000, mid_lat)
    ny = max(1, math.ceil((north - south) / step_lat))
    nx = max(1, math.ceil((east - west) / step_lon))
    hy, hx = (north - south) / ny, (east - west) / nx
    used = set()
    for lat, lon in points:
        used.add((min(ny - 1, int((lat - south) / hy)), min(nx - 1, int((lon - west) / hx))))
    return [(south + y * hy, west + x * hx, south + (y + 1) * hy, west + (x + 1) * hx) for y, x in sorted(used)]


def geotagged_pages(api: MediaWikiAPI, points: list[tuple[float, float]], *, pad_m: float = NEAR_M,
                    tile_km: float = TILE_KM, limit: int = GEOSEARCH_LIMIT) -> list[dict]:
    """The geotagged articles around the points, a few boxes at a time (a full box is split)."""
    pages: dict = {}
    queue = [(box, 0) for box in _tiles(points, pad_m, tile_km)]
    while queue:
        (s, w, n, e), depth = queue.pop(0)
        found = api.geosearch_bbox(s, w, n, e, limit=limit)
        if len(found) >= limit and depth < 3:
            ms, mw = (s + n) / 2, (w + e) / 2
            inside = [p for p in points if s <= p[0] <= n and w <= p[1] <= e]
            for box in ((s, w, ms, mw), (s, mw, ms, e), (ms, w, n, mw), (ms, mw, n, e)):
                if any(box[0] - 0.01 <= p[0] <= box[2] + 0.01 and box[1] - 0.01 <= p[1] <= box[3] + 0.01
                       for p in inside):
                    queue.append((box, depth + 1))
        for page in found:
            pages[page.get("pageid") or page.get("title")] = page
    return list(pages.values())


def check_sites(sites: list[dict], api: MediaWikiAPI, *, lang: str = "ja", geosearch: bool = True,
                near_m: float = NEAR_M, progress: Callable[[int, int], None] | None = None,
                geo_api: MediaWikiAPI | None = None) -> list[ArticleStatus]:
    """The article status of each site (dicts with id, name, municipality, other_articles, image,
    lat, lon, coord_status). ``geo_api`` answers geosearch when another endpoint does."""
    out = {s["id"]: ArticleStatus(s["id"], "unchecked", other_articles={
        k: v for k, v in (s.get("other_articles") or {}).items() if k != lang},
        has_photo=True if s.get("image") else None) for s in sites}

    def unchecked(exc: WikitownError) -> list[ArticleStatus]:
        reason = exc.message("en")
        for st in out.values():
            st.status, st.title, st.evidence = "unchecked", "", {"reason": reason}
        statuses = list(out.values())
        if statuses:  # the error itself, for the caller to show in the user's language (not stored)
            statuses[0].evidence = {"reason": reason, "error": exc}
        return statuses

    # 1. One title per site: its Wikidata sitelink, else its name.
    asked: dict[str, str] = {}
    keyed: dict[str, str] = {}  # the normalised name (name_key), asked too when it differs from the source's
    for s in sites:
        sitelink = usable_title((s.get("other_articles") or {}).get(lang, ""))
        asked[s["id"]] = sitelink or usable_title(s.get("name", ""))
        key = usable_title(s.get("name_key") or "")
        if key and key != asked[s["id"]] and not sitelink:
            keyed[s["id"]] = key
    try:
        pages = api.pages_by_titles([t for t in asked.values() if t] + list(keyed.values()), **PAGE_PROPS)
        for sid, key in keyed.items():  # the source's exact title first, else its normalised form
            if not _exists(pages.get(asked[sid])) and _exists(pages.get(key)):
                asked[sid] = key
        if progress:
            progress(1, 3)
        # 2. Disambiguation pages: try the jawiki way of naming one of many, "name (municipality)".
        second: dict[str, str] = {}
        for s in sites:
            page = pages.get(asked[s["id"]])
            if _exists(page) and disambiguation_mark(page) and s.get("municipality"):
                title = usable_title(f"{s.get('name', '')} ({s['municipality']})")
                if title:
                    second[s["id"]] = title
        pages2 = api.pages_by_titles(list(second.values()), **PAGE_PROPS) if second else {}
    except WikitownError as exc:
        return unchecked(exc)
    if progress:
        progress(2, 3)

    pending = []
    for s in sites:
        st = out[s["id"]]
        title = asked[s["id"]]
        page = pages.get(title) if title else None
        by = "wikidata_sitelink" if (s.get("other_articles") or {}).get(lang) and title else "title"
        specific = pages2.get(second.get(s["id"], ""))
        if _exists(specific) and not disambiguation_mark(specific):
            page, by, title = specific, "title", second[s["id"]]
        if _exists(page):
            st.title = page.get("title", title)
            st.other_articles.update({k: v for k, v in _langlinks(page).items() if k != lang})
            if page.get("pageimage"):
                st.has_photo = True
            evidence = {"by": by, "asked": title, "title": st.title, "pageid": page.get("pageid")}
            if page.get("redirected_from"):
                evidence["redirected_from"] = page["redirected_from"]
            mark = disambiguation_mark(page)
            if mark:
                st.status = "ambiguous"
                evidence.update(by="disambiguation", marked_by=mark)
            else:
                st.status = "exists"
            st.evidence = evidence
        else:
            st.status = "missing"
            st.evidence = {"by": "none", "asked": [t for t in (title, second.get(s["id"])) if t]}
            if by == "wikidata_sitelink":
                st.evidence["sitelink_missing_on_wiki"] = title
            pending.append(s)
        if st.has_photo is None and st.status != "unchecked":
            st.has_photo = False

    # 3. Geotagged articles near the sites that still have none.
    located = [s for s in pending if s.get("lat") is not None and s.get("lon") is not None
               and s.get("coord_status") in ("ok", "geocoded", None)]
    if geosearch and located:
        try:
            nearby = geotagged_pages(geo_api or api, [(s["lat"], s["lon"]) for s in located], pad_m=near_m)
        except (ServiceError, ServiceUnavailable) as exc:
            for s in pending:
                out[s["id"]].evidence["geosearch"] = f"unavailable: {exc.message('en')}"
            nearby = None
        if nearby is not None:
            for s in pending:
                out[s["id"]].evidence["geosearch"] = "checked" if s in located else "no coordinates"
            _match_nearby(located, nearby, out, near_m)
    if progress:
        progress(3, 3)
    return [out[s["id"]] for s in sites]


def _match_nearby(sites: list[dict], pages: list[dict], out: dict, near_m: float) -> None:
    grid = GridIndex(near_m)
    for p in pages:
        if isinstance(p.get("lat"), (int, float)) and isinstance(p.get("lon"), (int, float)):
            grid.add(p["lat"], p["lon"], p)
    for s in sites:
        key = name_key(s.get("name", ""))
        if not key:
            continue
        best = None
        for p in grid.near(s["lat"], s["lon"]):
            d = haversine_m(s["lat"], s["lon"], p["lat"], p["lon"])
            if d > near_m:
                continue
            score = fuzz.partial_ratio(key, name_key(p.get("title", "")))
            if score >= SIMILAR and (best is None or (score, -d) > (best[0], -best[1])):
                best = (score, d, p)
        if best:
            st = out[s["id"]]
            st.status, st.title = "possible", best[2].get("title", "")
            st.evidence.update(by="geosearch", title=st.title, distance_m=round(best[1]), score=round(best[0]))


def apply_statuses(store, statuses: list[ArticleStatus]) -> int:
    """Write the statuses into the event's sites (one transaction)."""
    from wikitown.store.sites import set_article_statuses

    return set_article_statuses(store, statuses)
