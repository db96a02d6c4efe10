"""One site from many sources: match records on normalised names, gated by distance.

A town has many shrines called 八幡神社, so a name alone never merges two records that
are far apart: equal names merge within ``exact_m`` (500 m), similar names (rapidfuzz)
within ``fuzzy_m`` (150 m), and records without coordinates only when their name is
unique among the records that could match. Records of the same source never merge (a
list has two rows because there are two sites), and a shared Wikidata id always does.
The organizer's own decisions (``join`` / ``split`` pairs) override all of this.

Speed: records are bucketed by name key and by a grid of cells the size of the distance
gate, so the work grows with the number of records, not its square (2 x 100,000 records in
a few seconds, see bench/bench_merge.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from wikitown.core.geo import GridIndex, haversine_m
from wikitown.core.normalize import hira_to_kata
from wikitown.core.site import KIND_ORIGINS, MUNICIPALITY_ORIGINS, Site

SiteRecord = Site  # a source's record (source and source_id set)

EXACT_M = 500.0
FUZZY_M = 150.0
FUZZY_SCORE = 85.0
# Which source's value wins for each field: the town's own list words names and
# designations officially; Wikidata has the most careful coordinates; OSM comes last.
NAME_PRIORITY = ("opendata", "wikidata", "osm", "geocode")
COORD_PRIORITY = ("wikidata", "opendata", "osm", "geocode")
COORD_RANK = {"ok": 0, "geocoded": 1, "suspect": 2, "missing": 3}

_BRACKET_RE = re.compile(r"[（(\[［【〔].*?[）)\]］】〕]")
_PUNCT_RE = re.compile(r"[\s・･·.,，、。'\"“”‘’「」『』〈〉《》\-‐‑–—―ー~〜_/／:：;；!！?？]")


def record_key(rec: SiteRecord) -> tuple[str, str]:
    return rec.source, str(rec.source_id)


@lru_cache(maxsize=4096)
def source_family(source: str) -> str:
    return source.split(":", 1)[0]


def name_key(name: str) -> str:
    """What two spellings of one name share: NFKC, lower case, no brackets, spaces or dots.
    (Bracketed disambiguators such as 常楽寺 (焼津市) are dropped.)"""
    text = unicodedata.normalize("NFKC", name or "").lower()
    stripped = _BRACKET_RE.sub("", text)
    text = stripped if stripped.strip() else text
    return _PUNCT_RE.sub("", text)


def kana_key(kana: str) -> str:
    """A reading in katakana without separators (ひらがな and カタカナ readings compare equal)."""
    text = unicodedata.normalize("NFKC", kana or "")
    text = _BRACKET_RE.sub("", text)
    return _PUNCT_RE.sub("", hira_to_kata(text)).replace("ー", "")


class _DSU:
    """Union-find whose sets remember their sources, so one source never appears twice.
    Per-set data is made only for sets of two or more (most records stay alone)."""

    def __init__(self, records: list[SiteRecord]):
        self.records = records
        self.parent = list(range(len(records)))
        self._sources: dict[int, set[str]] = {}
        self._members: dict[int, list[int]] = {}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def sources(self, root: int) -> set[str]:
        return self._sources.get(root) or {self.records[root].source}

    def members(self, root: int) -> list[int]:
        return self._members.get(root) or [root]

    def size(self, root: int) -> int:
        members = self._members.get(root)
        return len(members) if members else 1

    def can_join(self, a: int, b: int, forbidden) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.sources(ra) & self.sources(rb):
            return False
        if forbidden:
            for i in self.members(ra):
                for j in self.members(rb):
                    if (i, j) in forbidden or (j, i) in forbidden:
                        return False
        return True

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size(ra) < self.size(rb):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self._sources[ra] = self.sources(ra) | self.sources(rb)
        self._members[ra] = self.members(ra) + self.members(rb)
        self._sources.pop(rb, None)
        self._members.pop(rb, None)


@dataclass
class MergedSite:
    """One merged site and the source records behind it (its provenance)."""

    records: list[Site]
    site: Site

    @property
    def sources(self) -> list[str]:
        return sorted({r.source for r in self.records})

    @property
    def values(self) -> dict:
        """The merged site's values as a dict (articles under ``other_articles``, as stored)."""
        data = self.site.to_dict()
        data["other_articles"] = data.pop("articles")
        return data


def cluster(records: list[SiteRecord], *, exact_m: float = EXACT_M, fuzzy_m: float = FUZZY_M,
            fuzzy_score: float = FUZZY_SCORE, join: list | None = None,
            split: list | None = None) -> list[list[int]]:
    """Groups of record indexes that are one site. ``join``/``split`` are pairs of record keys
    ((source, source_id), (source, source_id)) the organizer decided by hand."""
    n = len(records)
    dsu = _DSU(records)
    index = {record_key(r): i for i, r in enumerate(records)}
    forbidden = set()
    for a, b in split or []:
        ia, ib = index.get(tuple(a)), index.get(tuple(b))
        if ia is not None and ib is not None:
            forbidden.add((ia, ib))
    for a, b in join or []:  # hand-made joins win over every rule, even one source twice
        ia, ib = index.get(tuple(a)), index.get(tuple(b))
        if ia is not None and ib is not None:
            dsu.join(ia, ib)

    def try_join(a: int, b: int) -> None:
        if dsu.can_join(a, b, forbidden):
            dsu.join(a, b)

    # 1. The same Wikidata item is the same site.
    by_qid: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        if r.wikidata_id:
            by_qid[r.wikidata_id].append(i)
    for members in by_qid.values():
        for j in members[1:]:
            try_join(members[0], j)

    names = [name_key(r.name) for r in records]
    located = [r.lat is not None and r.lon is not None and r.coord_status != "suspect" for r in records]

    # 2. Equal names (or equal readings) close together: pairs sorted by distance, nearest first.
    pairs: list[tuple[float, int, int]] = []
    groups: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(names):
        if key:
            groups["n:" + key].append(i)
        kana = kana_key(records[i].name_kana) if records[i].name_kana else ""
        if len(kana) >= 3:
            groups["k:" + kana].append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        pts = [i for i in members if located[i]]
        if len(pts) <= 30:
            for x in range(len(pts)):
                for y in range(x + 1, len(pts)):
                    a, b = pts[x], pts[y]
                    if records[a].source != records[b].source:
                        d = haversine_m(records[a].lat, records[a].lon, records[b].lat, records[b].lon)
                        if d <= exact_m:
                            pairs.append((d, a, b))
        else:  # a very common name (八幡神社 across a prefecture): grid within the group
            grid = GridIndex(exact_m)
            for i in pts:
                grid.add(records[i].lat, records[i].lon, i)
            for key, cell in grid.cells.items():
                for b in grid.around(key):
                    for a in cell:
                        if a < b and records[a].source != records[b].source:
                            d = haversine_m(records[a].lat, records[a].lon, records[b].lat, records[b].lon)
                            if d <= exact_m:
                                pairs.append((d, a, b))
    pairs.sort()
    for _d, a, b in pairs:
        try_join(a, b)

    # 3. Similar names very close together, for records still alone in their source's view.
    grid2 = GridIndex(fuzzy_m)
    for i in range(n):
        if located[i] and names[i] and dsu.size(dsu.find(i)) == 1:
            grid2.add(records[i].lat, records[i].lon, i)
    fuzzy_pairs: list[tuple[float, float, int, int]] = []
    for key, cell in grid2.cells.items():
        neighbours = list(grid2.around(key))
        for a in cell:
            ra = dsu.find(a)
            for b in neighbours:
                if b <= a or records[a].source == records[b].source or dsu.find(b) == ra \
                        or dsu.size(ra) > 1:
                    continue
                score = fuzz.ratio(names[a], names[b], score_cutoff=fuzzy_score)
                if not score:
                    # one name contained in the other: 常楽寺 / 常楽寺本堂 is not the same, 旧○○家住宅 / ○○家住宅 is
                    short, long_ = sorted((names[a], names[b]), key=len)
                    if len(short) >= 3 and short in long_ and len(long_) - len(short) <= 2:
                        score = fuzzy_score
                if score:
                    d = haversine_m(records[a].lat, records[a].lon, records[b].lat, records[b].lon)
                    if d <= fuzzy_m:
                        fuzzy_pairs.append((-score, d, a, b))
    fuzzy_pairs.sort()
    for _s, _d, a, b in fuzzy_pairs:
        try_join(a, b)

    # 4. Records with no usable coordinates: an equal name that only one site has.
    for members in groups.values():
        if len(members) < 2:
            continue
        roots = {dsu.find(i) for i in members}
        unlocated = [i for i in members if not located[i]]
        if not unlocated or len(roots) != 2:
            continue
        a, b = sorted(roots)
        try_join(a, b)

    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        clusters[dsu.find(i)].append(i)
    return list(clusters.values())


_NAME_RANK = {name: i for i, name in enumerate(NAME_PRIORITY)}
_COORD_RANK = {name: i for i, name in enumerate(COORD_PRIORITY)}
_LEVEL_RANK = {"national": 4, "prefectural": 3, "municipal": 2, "registered": 1, "": 0}
_TEXT_FIELDS = ("name", "name_kana", "name_en", "designation", "category", "address", "description", "owner",
                "wikidata_id", "commons_category", "image")
_KIND_RANK = {o: i for i, o in enumerate(KIND_ORIGINS)}
_MUNI_RANK = {o: i for i, o in enumerate(MUNICIPALITY_ORIGINS)}


def _by_priority(records: list[Site], order: tuple[str, ...]) -> list[Site]:
    rank = _NAME_RANK if order is NAME_PRIORITY else _COORD_RANK if order is COORD_PRIORITY else \
        {name: i for i, name in enumerate(order)}
    return sorted(records, key=lambda r: rank.get(source_family(r.source), len(order)))


def _issues(records: list[Site]) -> list[dict]:
    return [{**i, "source": r.source} for r in records for i in r.issues]


def combine(records: list[Site]) -> Site:
    """One site from its records, each field from the best source that has it: names and text
    from the town's list first (as it words them), coordinates from Wikidata first, the kind from
    the most trusted origin (a source's category over Wikidata's P31 over OSM's tags over a guess
    from the name), the municipality likewise (its own field over its address over neighbours)."""
    if len(records) == 1:  # most sites: no choosing to do
        r = records[0]
        located = r.coord_status != "missing" and r.lat is not None
        return Site(**{f: getattr(r, f) for f in _TEXT_FIELDS}, designation_level=r.designation_level,
                    kind=r.kind, kind_origin=r.kind_origin, municipality=r.municipality,
                    municipality_origin=r.municipality_origin, lat=r.lat if located else None,
                    lon=r.lon if located else None, coord_status=r.coord_status if located else "missing",
                    articles=dict(r.articles), issues=_issues(records))
    named = _by_priority(records, NAME_PRIORITY)
    values = {}
    for f in _TEXT_FIELDS:
        values[f] = next((getattr(r, f) for r in named if getattr(r, f)), "")
    kinds = sorted((r for r in named if r.kind), key=lambda r: _KIND_RANK.get(r.kind_origin, -1))
    if kinds:  # of equally trusted kinds, one that says more than "other"
        best = [r for r in kinds if r.kind_origin == kinds[0].kind_origin]
        chosen = next((r for r in best if r.kind != "other"), best[0])
        values.update(kind=chosen.kind, kind_origin=chosen.kind_origin)
    munis = sorted((r for r in named if r.municipality), key=lambda r: _MUNI_RANK.get(r.municipality_origin, -1))
    if munis:
        values.update(municipality=munis[0].municipality, municipality_origin=munis[0].municipality_origin)
    by_coord = _by_priority(records, COORD_PRIORITY)
    best = min(by_coord, key=lambda r: COORD_RANK.get(r.coord_status, 9))  # min is stable: priority breaks ties
    located = best.coord_status != "missing" and best.lat is not None
    values.update(lat=best.lat if located else None, lon=best.lon if located else None,
                  coord_status=best.coord_status if located else "missing")
    articles: dict[str, str] = {}
    for r in by_coord:
        for lang, title in r.articles.items():
            articles.setdefault(lang, title)
    level = ""
    for r in records:
        if _LEVEL_RANK.get(r.designation_level, 0) > _LEVEL_RANK.get(level, 0):
            level = r.designation_level
    return Site(**values, designation_level=level, articles=articles, issues=_issues(records))


def merge_records(records: list[Site], **kwargs) -> list[MergedSite]:
    """Merged sites, each with every record behind it (its provenance)."""
    out = []
    for members in cluster(records, **kwargs):
        recs = [records[i] for i in members]
        out.append(MergedSite(recs, combine(recs)))
    return out


def record_from_dict(data: dict) -> Site:
    """A provenance row's ``data`` back into a record (unknown keys are ignored)."""
    return Site.from_dict(data)


def record_to_dict(rec: Site) -> dict:
    return rec.to_dict()


# ---------------------------------------------------------------------------------------------
# municipality from the neighbours

NEIGHBOUR_M = 1500.0  # a site's municipality is its neighbours' only when they are this close


def assign_municipalities(records: list[Site], event_municipality: str = "", *,
                          within_m: float = NEIGHBOUR_M) -> int:
    """Give every record with no municipality of its own (no field, nothing in its address) the
    municipality the nearest records that know theirs (from a field or an address) agree on
    (the three nearest within ``within_m``, weighted by nearness); failing that, the event's. Records filled this way before are filled
    afresh (new neighbours may have come). Returns how many came from the coordinates."""
    known = [r for r in records if r.municipality and r.municipality_origin in ("field", "address")
             and r.lat is not None and r.lon is not None and r.coord_status in ("ok", "geocoded")]
    grid = GridIndex(within_m)
    for i, r in enumerate(known):
        grid.add(r.lat, r.lon, i)
    from_coords = 0
    for r in records:
        if r.municipality and r.municipality_origin in ("field", "address"):
            continue
        if r.municipality and r.municipality_origin not in ("coordinates", "event"):
            continue  # given by hand or by a source that does not say how: left as it is
        found = ""
        if r.lat is not None and r.lon is not None and r.coord_status in ("ok", "geocoded"):
            near = sorted((haversine_m(r.lat, r.lon, known[i].lat, known[i].lon), known[i].municipality)
                          for i in grid.near(r.lat, r.lon))
            near = [(d, m) for d, m in near[:3] if d <= within_m]
            if near:  # the three nearest vote, the nearer the louder (one odd neighbour is outvoted)
                votes: dict[str, float] = defaultdict(float)
                for d, m in near:
                    votes[m] += 1 / max(d, 1.0)
                found = max(votes, key=votes.get)
        if found:
            r.municipality, r.municipality_origin = found, "coordinates"
            from_coords += 1
        elif event_municipality:
            r.municipality, r.municipality_origin = event_municipality, "event"
        else:
            r.municipality, r.municipality_origin = "", ""
    return from_coords


# ---------------------------------------------------------------------------------------------
# the event's store

MANUAL_KEY = "sites.manual"  # kv: {"join": [[key, key], ...], "split": [[key, key], ...]}


def _unique_id(rec: Site, taken: set[str]) -> str:
    from wikitown.store.sites import site_id_for

    candidate, n = site_id_for(rec.source, rec.source_id), 0
    while candidate in taken:
        n += 1
        candidate = site_id_for(rec.source, f"{rec.source_id}#{n}")
    return candidate


def merge_into_store(store, new_records: list[Site], *, replace_sources: set[str] | None = None,
                     municipality: str | None = None, **kwargs) -> dict:
    """Merge ``new_records`` with every record already in the event, in one transaction.

    Records of a source in ``replace_sources`` (default: the sources of ``new_records``)
    replace that source's earlier records (a re-imported file, a fresh query). Sites keep
    their ids when their records stay together; when sites merge, the finds, drafts and
    plan entries of the vanished site move to the merged one. With ``municipality`` (the
    event's), records without one of their own get their neighbours' or the event's
    (:func:`assign_municipalities`). Returns counts."""
    import sqlalchemy as sa

    from wikitown.store import db as st
    from wikitown.store import sites as store_sites

    replace = set(replace_sources if replace_sources is not None else {r.source for r in new_records})
    with store.write() as conn:
        old_records, owner = store_sites.stored_records(conn)
        manual = conn.execute(sa.select(st.kv.c.value).where(st.kv.c.key == MANUAL_KEY)).scalar() or {}
        old_ids = store_sites.all_site_ids(conn)
        kept = [r for r in old_records if r.source not in replace]
        records = kept + list(new_records)
        if municipality is not None:
            assign_municipalities(records, municipality)
        groups = cluster(records, join=manual.get("join"), split=manual.get("split"), **kwargs)
        groups.sort(key=len, reverse=True)  # big groups pick their id first
        taken: set[str] = set()
        rows, moves = [], {}
        for members in groups:
            recs = [records[i] for i in members]
            votes: dict[str, int] = defaultdict(int)
            for r in recs:
                if record_key(r) in owner:
                    votes[owner[record_key(r)]] += 1
            choice = next((sid for sid, _ in sorted(votes.items(), key=lambda kv: -kv[1]) if sid not in taken),
                          None)
            if choice is None:
                choice = _unique_id(_by_priority(recs, NAME_PRIORITY)[0], taken | old_ids)
            taken.add(choice)
            for sid in votes:
                if sid != choice and sid not in taken:
                    moves.setdefault(sid, choice)
            row = store_sites.source_values(combine(recs))
            row["id"] = choice
            row["provenance"] = [{"source": r.source, "source_id": r.source_id, "data": record_to_dict(r)}
                                 for r in recs]
            rows.append(row)
        store_sites.clear_provenance(conn)
        store_sites.upsert_sites(store, rows, conn=conn)
        moved = 0
        for old, new in moves.items():
            if old in taken:
                continue
            moved += store_sites.move_references(conn, old, new)
        removed = 0
        # Only sites made from source records that have now gone; a site added by hand (no
        # provenance) is not this function's to remove.
        for sid in set(owner.values()) - taken:
            if not store_sites.referenced(conn, sid):
                store_sites.delete_site(conn, sid)
                removed += 1
    return {"sites": len(rows), "records": len(records), "moved": moved, "removed": removed}


def _site_record_keys(store, site_ids: list[str]) -> dict[str, list[list[str]]]:
    from wikitown.store.sites import record_keys

    return record_keys(store, site_ids)


def _save_manual(store, change) -> None:
    manual = dict(store.get_kv(MANUAL_KEY, {}) or {})
    manual.setdefault("join", [])
    manual.setdefault("split", [])
    change(manual)
    store.set_kv(MANUAL_KEY, manual)


def join_sites(store, site_ids: list[str]) -> dict:
    """The organizer says these sites are one: remember it and merge again."""
    keys = _site_record_keys(store, site_ids)
    firsts = [keys[s][0] for s in site_ids if keys.get(s)]
    pairs = [[firsts[0], k] for k in firsts[1:]]

    def change(manual):
        joined = {tuple(map(tuple, p)) for p in pairs} | {tuple(map(tuple, p[::-1])) for p in pairs}
        manual["split"] = [p for p in manual["split"] if tuple(map(tuple, p)) not in joined]
        manual["join"].extend(pairs)

    _save_manual(store, change)
    return merge_into_store(store, [], replace_sources=set())


def split_site(store, site_id: str) -> dict:
    """The organizer says a merged site is really several: every record becomes its own site."""
    keys = _site_record_keys(store, [site_id]).get(site_id, [])
    pairs = [[a, b] for i, a in enumerate(keys) for b in keys[i + 1:]]

    def change(manual):
        inside = {tuple(k) for k in keys}
        manual["join"] = [p for p in manual["join"] if not (tuple(p[0]) in inside and tuple(p[1]) in inside)]
        manual["split"].extend(pairs)

    _save_manual(store, change)
    return merge_into_store(store, [], replace_sources=set())
