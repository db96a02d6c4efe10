"""Walk planning: split the chosen sites into K teams and order each team's route.

How it works (and why):

- **Distances.** There is no road network offline, so a walk between two sites is the
  geodesic (WGS84) distance times a stated detour factor (``PlanSettings.detour``, 1.3 by
  default: town streets are rarely straight). The optimiser works on a distance matrix from a
  local ellipsoidal approximation (radii of curvature at each pair's mean latitude; within
  0.1 % of the geodesic at town scale, and vectorised, so 300 sites take milliseconds); the legs
  reported on sheets and in ``plan.csv`` are exact geodesics (geopy).
- **Times.** Walking at ``speed_kmh`` (4 km/h: a group that stops at crossings) plus
  ``minutes_per_site`` at each site. ``arrival_min`` counts from leaving the start.
- **Routes.** Nearest neighbour from the start, then 2-opt and Or-opt (moving runs of 1-3
  sites, reversed or not) until no move shortens the route; each final route then gets a few
  rounds of iterated local search (a double-bridge kick, local search again, kept if shorter).
  We use our own local search rather than networkx's TSP approximations because the routes
  here have a fixed start and, unless the team returns, a free end (networkx solves closed
  tours, and its Christofides needs a metric closed tour too), because incremental insertion
  costs are needed for balancing anyway, and because this reaches the optimum on small
  instances (tests/test_plan.py compares with exact solutions and prints the worst gap).
- **Teams.** Two starting partitions (a sweep around the start point and k-means on the map),
  each improved by moving sites between teams: first any move that lowers the longest team's
  time, then any move that shortens the total without making the longest team longer. The
  partition whose longest team is shortest wins. The result is deterministic.
- **Hand edits.** :func:`move_site` and :func:`reorder` change a plan without re-optimising;
  times are recomputed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from wikitown.core.errors import InputError
from wikitown.core.geo import geodesic_m, valid_coord
from wikitown.core.site import Site

# WGS84
_A = 6_378_137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
_EPS = 1e-7
NEEDS = ("photo", "article")


def polish_kicks(n: int) -> int:
    """Iterated-local-search rounds for a final route of ``n`` sites: many for short routes (they
    then reach the optimum, see tests/test_plan.py), few for long ones (a 0.3 % gain on 30 sites
    costs as much as the whole split; see bench/bench_plan.py)."""
    return max(3, min(20, 150 // max(n, 1)))


@dataclass
class PlanSettings:
    """Everything a plan depends on; stored in the event's kv as ``plan.settings``."""

    start_lat: float
    start_lon: float
    teams: int = 4
    minutes: float | None = 180.0  # the time budget per team; None: no budget
    return_to_start: bool = False
    detour: float = 1.3  # walking distance / straight-line distance
    speed_kmh: float = 4.0
    minutes_per_site: float = 10.0
    start_label: str = ""  # what the start is called (a site, a station), for sheets; "" = coordinates only

    def validate(self) -> "PlanSettings":
        if not valid_coord(self.start_lat, self.start_lon):
            raise InputError(f"not a valid start point: {self.start_lat},{self.start_lon}",
                             key="plan.error.start", value=f"{self.start_lat},{self.start_lon}")
        checks = [("teams", self.teams, 1, 200), ("detour", self.detour, 1.0, 5.0),
                  ("speed_kmh", self.speed_kmh, 0.5, 20.0), ("minutes_per_site", self.minutes_per_site, 0, 600)]
        if self.minutes is not None:
            checks.append(("minutes", self.minutes, 1, 24 * 60))
        for name, value, low, high in checks:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not (low <= value <= high):
                raise InputError(f"{name} must be between {low} and {high}, not {value!r}",
                                 key="plan.error.setting", name=name, low=low, high=high, value=value)
        if int(self.teams) != self.teams:
            raise InputError(f"teams must be a whole number, not {self.teams!r}", key="plan.error.setting",
                             name="teams", low=1, high=200, value=self.teams)
        self.teams = int(self.teams)
        return self

    @property
    def metres_per_minute(self) -> float:
        return self.speed_kmh * 1000 / 60

    def walk_minutes(self, walking_m: float) -> float:
        return walking_m / self.metres_per_minute

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PlanSettings":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in (data or {}).items() if k in known}).validate()


class PlanSite:
    """A site in a walk plan: the :class:`~wikitown.core.site.Site` and what a team should do there."""

    __slots__ = ("site", "needs", "chosen", "priority")

    def __init__(self, id: str = "", name: str = "", lat: float | None = None, lon: float | None = None,
                 name_kana: str = "", designation: str = "", address: str = "", needs: tuple[str, ...] = (),
                 *, site: Site | None = None, chosen: bool = True, priority: float = 0.0):
        self.site = site if site is not None else Site(id=id, name=name, lat=lat, lon=lon, name_kana=name_kana,
                                                       designation=designation, address=address)
        self.needs = tuple(needs)  # subset of NEEDS
        # chosen: the organizer picked it (always planned, even over the budget or indoors);
        # otherwise a candidate the planner takes, highest priority first, while the time allows.
        self.chosen = bool(chosen)
        self.priority = float(priority)

    id = property(lambda self: self.site.id)
    name = property(lambda self: self.site.name)
    lat = property(lambda self: self.site.lat)
    lon = property(lambda self: self.site.lon)
    name_kana = property(lambda self: self.site.name_kana)
    designation = property(lambda self: self.site.designation)
    address = property(lambda self: self.site.address)

    def __eq__(self, other) -> bool:
        return isinstance(other, PlanSite) and (self.site, self.needs) == (other.site, other.needs)

    __hash__ = None

    def __repr__(self) -> str:
        return f"PlanSite({self.id!r}, {self.name!r}, {self.lat!r}, {self.lon!r}, needs={self.needs!r})"


@dataclass
class LeftOut:
    """A site that is not in any route, and why (shown to the organizer, never dropped silently)."""

    site_id: str
    name: str
    # a message key suffix: no_coords, suspect_coords, duplicate_id, no_id; for candidates the
    # planner did not take: over_budget, not_outdoors (an object kept indoors), intangible
    reason: str
    line: int | None = None  # the CSV line, when the site came from a file


@dataclass
class Stop:
    site: PlanSite
    seq: int  # 1-based order in the route
    leg_m: float  # walking distance from the previous stop (or the start), detour included
    arrival_min: float  # minutes after leaving the start


@dataclass
class TeamRoute:
    team: int  # 1-based
    stops: list[Stop]
    walk_m: float  # all walking, detour included, the way back too when the team returns
    return_m: float  # the way back to the start (0 when the team does not return)
    total_min: float  # from leaving the start to the end (back at the start, or the last site)
    over_min: float  # minutes over the budget (0 when it fits)

    @property
    def site_ids(self) -> list[str]:
        return [s.site.id for s in self.stops]


@dataclass
class Plan:
    settings: PlanSettings
    routes: list[TeamRoute]
    left_out: list[LeftOut] = field(default_factory=list)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (message key, params)

    @property
    def warnings(self) -> list[tuple[int, float]]:
        """(team, minutes over budget) for each route that does not fit."""
        return [(r.team, r.over_min) for r in self.routes if r.over_min > 0]

    def route(self, team: int) -> TeamRoute:
        for r in self.routes:
            if r.team == team:
                return r
        raise InputError(f"there is no team {team}", key="plan.error.no_team", team=team)

    def team_of(self, site_id: str) -> int:
        for r in self.routes:
            if site_id in r.site_ids:
                return r.team
        raise InputError(f"site {site_id} is not in the plan", key="plan.error.no_site", site=site_id)

    def rows(self) -> list[dict]:
        """One row per planned site: the plan.csv / plan_assignments contract."""
        return [{"site_id": s.site.id, "team": r.team, "order": s.seq, "leg_m": round(s.leg_m),
                 "arrival_min": round(s.arrival_min, 1), "name": s.site.name}
                for r in self.routes for s in r.stops]


# ---------------------------------------------------------------------------------------------
# distances


def distance_matrix(lats, lons) -> np.ndarray:
    """Straight-line distances in metres between all points (ellipsoidal local approximation:
    the meridional and prime-vertical radii of curvature at each pair's mean latitude)."""
    phi = np.radians(np.asarray(lats, dtype=float))
    lam = np.radians(np.asarray(lons, dtype=float))
    phim = (phi[:, None] + phi[None, :]) / 2
    w = np.sqrt(1 - _E2 * np.sin(phim) ** 2)
    n_radius = _A / w
    m_radius = _A * (1 - _E2) / w ** 3
    dlam = lam[:, None] - lam[None, :]
    dlam = (dlam + np.pi) % (2 * np.pi) - np.pi
    dy = m_radius * (phi[:, None] - phi[None, :])
    dx = n_radius * np.cos(phim) * dlam
    return np.hypot(dx, dy)


def _local_xy(lats, lons, lat0: float, lon0: float) -> np.ndarray:
    """Metres east/north of (lat0, lon0): for clustering and sketches, not for distances."""
    phi0 = math.radians(lat0)
    w = math.sqrt(1 - _E2 * math.sin(phi0) ** 2)
    x = np.radians(np.asarray(lons, dtype=float) - lon0) * (_A / w) * math.cos(phi0)
    y = np.radians(np.asarray(lats, dtype=float) - lat0) * (_A * (1 - _E2) / w ** 3)
    return np.column_stack([x, y])


# ---------------------------------------------------------------------------------------------
# one route: nearest neighbour, 2-opt, Or-opt on a path with fixed ends


def _local_matrix(dist: np.ndarray, nodes: list[int], closed: bool) -> np.ndarray:
    """Matrix over [start, *nodes, END]; END is the start again (closed) or free (open)."""
    idx = [0] + list(nodes)
    m = len(idx)
    local = np.zeros((m + 1, m + 1))
    local[:m, :m] = dist[np.ix_(idx, idx)]
    if closed:
        local[m, :m] = local[0, :m]
        local[:m, m] = local[:m, 0]
    return local


def _nearest_neighbour(local: np.ndarray) -> list[int]:
    m = local.shape[0] - 1
    left = set(range(1, m))
    path, here = [0], 0
    while left:
        cand = np.fromiter(left, dtype=int)
        here = int(cand[np.argmin(local[here, cand])])
        path.append(here)
        left.remove(here)
    path.append(m)
    return path


def _two_opt(local: np.ndarray, path: list[int]) -> bool:
    """Best-improvement 2-opt over the interior of ``path`` (ends fixed). True if it changed."""
    t = np.asarray(path)
    n = len(t) - 2  # interior positions 1..n
    changed = False
    improved = True
    while improved:
        improved = False
        for i in range(1, n):
            a, b = t[i - 1], t[i]
            cs = t[i + 1:n + 1]
            ds = t[i + 2:n + 2]
            delta = local[a, cs] + local[b, ds] - local[a, b] - local[cs, ds]
            j = int(np.argmin(delta))
            if delta[j] < -_EPS:
                j += i + 1
                t[i:j + 1] = t[i:j + 1][::-1].copy()
                improved = changed = True
    path[:] = t.tolist()
    return changed


def _or_opt(local: np.ndarray, path: list[int]) -> bool:
    """Move runs of 1-3 sites elsewhere in the path, either way round (best move first, all
    candidate moves of one run length scored at once). True if it changed."""
    changed = False
    while True:
        p = np.asarray(path)
        n = len(p) - 2
        best = None
        us, vs = p[:-1], p[1:]  # edge k joins p[k] and p[k+1]
        edge = local[us, vs]
        for seg_len in (1, 2, 3):
            if seg_len >= n:
                break
            starts = np.arange(1, n - seg_len + 2)
            first, last = p[starts], p[starts + seg_len - 1]
            prev, nxt = p[starts - 1], p[starts + seg_len]
            gain = local[prev, first] + local[last, nxt] - local[prev, nxt]
            fwd = local[us[None, :], first[:, None]] + local[last[:, None], vs[None, :]] - edge[None, :]
            rev = local[us[None, :], last[:, None]] + local[first[:, None], vs[None, :]] - edge[None, :]
            cost = np.minimum(fwd, rev) - gain[:, None]
            k = np.arange(len(us))[None, :]
            # edges touching the run itself are not somewhere else
            cost[(k >= starts[:, None] - 1) & (k <= starts[:, None] + seg_len - 1)] = np.inf
            flat = int(np.argmin(cost))
            row, col = divmod(flat, cost.shape[1])
            if cost[row, col] < -_EPS and (best is None or cost[row, col] < best[0]):
                best = (cost[row, col], int(starts[row]), seg_len, col, bool(rev[row, col] < fwd[row, col]))
        if best is None:
            return changed
        _, i, seg_len, k, flip = best
        seg = path[i:i + seg_len]
        if flip:
            seg = seg[::-1]
        if k < i:
            path[:] = path[:k + 1] + seg + path[k + 1:i] + path[i + seg_len:]
        else:
            path[:] = path[:i] + path[i + seg_len:k + 1] + seg + path[k + 1:]
        changed = True


def _local_search(local: np.ndarray, path: list[int]) -> None:
    for _ in range(50):  # each round strictly shortens the path; 50 is never reached in practice
        a = _two_opt(local, path)
        b = _or_opt(local, path)
        if not (a or b):
            break


def _kick(path: list[int], rng: np.random.Generator) -> list[int]:
    """A perturbation local search cannot undo in one move: the double bridge (A C B D) on the
    interior, or a shuffle when the route is too short for one."""
    inner = path[1:-1]
    if len(inner) >= 8:
        i, j, k = sorted(rng.choice(np.arange(1, len(inner)), size=3, replace=False))
        inner = inner[:i] + inner[j:k] + inner[i:j] + inner[k:]
    else:
        inner = [inner[x] for x in rng.permutation(len(inner))]
    return [path[0]] + inner + [path[-1]]


def order_route(dist: np.ndarray, nodes: list[int], closed: bool, *, initial: list[int] | None = None,
                kicks: int = 0, seed: int = 11) -> list[int]:
    """A short order of ``nodes`` (indices into ``dist``, 0 = the start) from the start:
    nearest neighbour (or ``initial``), then 2-opt and Or-opt until neither improves; then
    ``kicks`` rounds of iterated local search (perturb, improve, keep if shorter)."""
    nodes = list(nodes)
    if len(nodes) <= 1:
        return nodes
    local = _local_matrix(dist, nodes, closed)
    if initial is not None:
        pos = {node: k + 1 for k, node in enumerate(nodes)}
        path = [0] + [pos[x] for x in initial] + [len(nodes) + 1]
    else:
        path = _nearest_neighbour(local)
    _local_search(local, path)
    if kicks and len(nodes) > 3:
        rng = np.random.default_rng(seed)
        best_len = float(local[np.asarray(path[:-1]), np.asarray(path[1:])].sum())
        for _ in range(kicks):
            trial = _kick(path, rng)
            _local_search(local, trial)
            length = float(local[np.asarray(trial[:-1]), np.asarray(trial[1:])].sum())
            if length < best_len - _EPS:
                path, best_len = trial, length
    return [nodes[k - 1] for k in path[1:-1]]


def route_length(dist: np.ndarray, order: list[int], closed: bool) -> float:
    if not order:
        return 0.0
    seq = [0] + list(order) + ([0] if closed else [])
    s = np.asarray(seq)
    return float(dist[s[:-1], s[1:]].sum())


# ---------------------------------------------------------------------------------------------
# teams


def _kmeans(xy: np.ndarray, k: int, seed: int = 7, iterations: int = 50) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding; a fixed seed keeps plans reproducible."""
    rng = np.random.default_rng(seed)
    n = len(xy)
    centres = [xy[rng.integers(n)]]
    for _ in range(1, k):
        d2 = np.min(((xy[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
        total = d2.sum()
        centres.append(xy[rng.choice(n, p=d2 / total)] if total > 0 else xy[rng.integers(n)])
    centres = np.asarray(centres, dtype=float)
    labels = np.zeros(n, dtype=int)
    for it in range(iterations):
        d2 = ((xy[:, None, :] - centres[None]) ** 2).sum(-1)
        new = np.argmin(d2, axis=1)
        for c in range(k):  # an empty cluster takes the point farthest from its centre
            if not np.any(new == c):
                far = int(np.argmax(d2[np.arange(n), new]))
                new[far] = c
        if it and np.array_equal(new, labels):
            break
        labels = new
        centres = np.asarray([xy[labels == c].mean(axis=0) for c in range(k)])
    return labels


def _sweep(xy_sites: np.ndarray, k: int) -> np.ndarray:
    """Sectors around the start (at the origin), equal in site count, cut at the widest gap."""
    n = len(xy_sites)
    ang = np.arctan2(xy_sites[:, 1], xy_sites[:, 0])
    order = np.argsort(ang)
    sorted_ang = ang[order]
    gaps = np.diff(np.concatenate([sorted_ang, [sorted_ang[0] + 2 * np.pi]]))
    first = (int(np.argmax(gaps)) + 1) % n
    order = np.roll(order, -first)
    labels = np.empty(n, dtype=int)
    for c, chunk in enumerate(np.array_split(order, k)):
        labels[chunk] = c
    return labels


class _Teams:
    """Routes as index lists over the global matrix, with cached lengths."""

    def __init__(self, dist: np.ndarray, settings: PlanSettings, labels: np.ndarray, k: int):
        self.dist = dist
        self.closed = settings.return_to_start
        self.scale = settings.detour / settings.metres_per_minute  # metres -> minutes
        self.dwell = settings.minutes_per_site
        groups = [[int(i) + 1 for i in np.flatnonzero(labels == c)] for c in range(k)]
        self.orders = [order_route(dist, g, self.closed) for g in groups]
        self.lengths = [route_length(dist, o, self.closed) for o in self.orders]

    def time(self, c: int) -> float:
        return self.lengths[c] * self.scale + self.dwell * len(self.orders[c])

    def times(self) -> list[float]:
        return [self.time(c) for c in range(len(self.orders))]

    def _seq(self, c: int) -> np.ndarray:
        return np.asarray([0] + self.orders[c] + ([0] if self.closed else [-1]))

    def move(self, node: int, src: int, dst: int, at: int) -> None:
        self.orders[src].remove(node)
        self.orders[dst].insert(at, node)
        for c in (src, dst):
            self.orders[c] = order_route(self.dist, self.orders[c], self.closed, initial=self.orders[c])
            self.lengths[c] = route_length(self.dist, self.orders[c], self.closed)

    def polish(self) -> None:
        """Iterated local search on each final route (kept only where it is shorter)."""
        for c, order in enumerate(self.orders):
            better = order_route(self.dist, order, self.closed, initial=order, kicks=polish_kicks(len(order)))
            length = route_length(self.dist, better, self.closed)
            if length < self.lengths[c] - _EPS:
                self.orders[c], self.lengths[c] = better, length

    def best_move(self, sources: list[int], accept) -> tuple | None:
        """The best move of one site out of a team in ``sources``. ``accept(times, src, dst,
        t_src_new, t_dst_new)`` scores candidate moves as an array (lower is better, inf rejects)."""
        d = self.dist
        times = np.asarray(self.times())
        best = None
        for src in sources:
            if len(self.orders[src]) <= 1:
                continue  # never empty a team
            nodes = np.asarray(self.orders[src])
            seq = self._seq(src)
            prev, nxt = seq[:-2], seq[2:]
            nxt0 = np.maximum(nxt, 0)
            save = d[prev, nodes] + np.where(nxt == -1, 0.0, d[nodes, nxt0] - d[prev, nxt0])
            t_src = times[src] - save * self.scale - self.dwell
            for dst in range(len(self.orders)):
                if dst == src:
                    continue
                seqd = self._seq(dst)
                us, vs = seqd[:-1], seqd[1:]
                vs0 = np.maximum(vs, 0)
                cost = d[np.ix_(us, nodes)] + np.where(
                    (vs == -1)[:, None], 0.0, d[np.ix_(nodes, vs0)].T - d[us, vs0][:, None])
                at = np.argmin(cost, axis=0)
                added = cost[at, np.arange(len(nodes))]
                t_dst = times[dst] + added * self.scale + self.dwell
                score = accept(times, src, dst, t_src, t_dst)
                i = int(np.argmin(score))
                if np.isfinite(score[i]) and (best is None or score[i] < best[0]):
                    best = (float(score[i]), int(nodes[i]), src, dst, int(at[i]))
        return best

    def balance(self, max_moves: int | None = None) -> None:
        """Move sites between teams while it helps; keeps the best state seen."""
        def lower_longest(times, src, dst, t_src, t_dst):
            new = np.maximum(t_src, t_dst)
            return np.where(new < times.max() - 1e-6, new, np.inf)

        def shorter_total(times, src, dst, t_src, t_dst):
            gain = (t_src + t_dst) - (times[src] + times[dst])
            ok = (np.maximum(t_src, t_dst) <= times.max() + 1e-6) & (gain < -1e-6)
            return np.where(ok, gain, np.inf)

        def key():
            times = self.times()
            return (round(max(times), 6), round(sum(times), 6))

        best_key, best_state = key(), ([list(o) for o in self.orders], list(self.lengths))
        limit = max_moves if max_moves is not None else 4 * sum(len(o) for o in self.orders) + 10
        for _ in range(limit):
            times = self.times()
            worst = max(times)
            longest = [c for c, t in enumerate(times) if t >= worst - 1e-6]
            move = self.best_move(longest, lower_longest) or self.best_move(
                list(range(len(self.orders))), shorter_total)
            if move is None:
                break
            _, node, src, dst, at = move
            self.move(node, src, dst, at)
            now_key = key()
            if now_key < best_key:
                best_key, best_state = now_key, ([list(o) for o in self.orders], list(self.lengths))
        self.orders, self.lengths = best_state


def split_and_route(dist: np.ndarray, xy_sites: np.ndarray, settings: PlanSettings) -> list[list[int]]:
    """Site indices (1-based, into ``dist``) per team, each in walking order."""
    n = len(xy_sites)
    k = min(settings.teams, n)
    if n == 0:
        return [[] for _ in range(settings.teams)]
    candidates = []
    for labels in (_sweep(xy_sites, k), _kmeans(xy_sites, k)):
        teams = _Teams(dist, settings, labels, k)
        teams.balance()
        times = teams.times()
        candidates.append(((round(max(times), 6), round(sum(times), 6)), teams))
    candidates.sort(key=lambda c: c[0])
    teams = candidates[0][1]
    teams.polish()
    orders = teams.orders
    # Team 1 is the one whose first site is nearest the start clockwise from north: a stable,
    # explainable numbering for the organizer.
    def bearing(order):
        x, y = xy_sites[order[0] - 1]
        return (math.degrees(math.atan2(x, y)) + 360) % 360
    orders = sorted(orders, key=bearing)
    return orders + [[] for _ in range(settings.teams - k)]


# ---------------------------------------------------------------------------------------------
# choosing sites: the team orienteering problem (a prize-collecting split)


# The optimiser's distances are within 0.1 % of the geodesic legs the routes report: keep that
# much of the budget in hand so a route that fits here fits on the sheet.
_BUDGET_MARGIN = 0.002


class _Chooser:
    """Routes (orders of indices into ``dist``) filled with candidates under a per-team budget,
    maximising the candidates' total priority (every team starts at the start).

    Greedy insertion by priority per added minute (each candidate at its cheapest place in any
    team's route), then rounds of: re-order each route (2-opt, Or-opt, kicks) to free time, fill
    again, and swap a taken candidate for a better one that fits in its place. Each swap raises
    the total priority, so the rounds end. Measured against the exact optimum in
    bench/bench_plan.py."""

    def __init__(self, dist: np.ndarray, orders: list[list[int]], fixed: set[int], profit: np.ndarray,
                 settings: PlanSettings, budget: float, power: float = 1.0):
        self.power = power
        self.dist = dist
        self.closed = settings.return_to_start
        self.scale = settings.detour / settings.metres_per_minute
        self.dwell = settings.minutes_per_site
        self.budget = budget
        self.orders = [list(o) for o in orders]
        self.fixed = fixed  # chosen by hand: never swapped out
        self.profit = profit
        self.lengths = [route_length(dist, o, self.closed) for o in self.orders]

    def time(self, c: int) -> float:
        return self.lengths[c] * self.scale + self.dwell * len(self.orders[c])

    def _edges(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """The route's edges (u, v); v = -1 is the open end after the last site."""
        seq = [0] + self.orders[c] + ([0] if self.closed else [-1])
        return np.asarray(seq[:-1]), np.asarray(seq[1:])

    def _insert_costs(self, c: int, cand: np.ndarray) -> np.ndarray:
        """Extra metres to put each candidate on each edge of route ``c``: edges × candidates."""
        d = self.dist
        us, vs = self._edges(c)
        vs0 = np.maximum(vs, 0)
        return d[np.ix_(us, cand)] + np.where((vs == -1)[:, None], 0.0, d[np.ix_(vs0, cand)] - d[us, vs0][:, None])

    def _reroute(self, c: int, kicks: int = 0) -> None:
        order = order_route(self.dist, self.orders[c], self.closed, initial=self.orders[c], kicks=kicks)
        length = route_length(self.dist, order, self.closed)
        if length < self.lengths[c] - _EPS or kicks == 0:
            self.orders[c], self.lengths[c] = order, length

    def fill(self, pool: set[int]) -> bool:
        """Insert candidates from ``pool`` while any fits, best priority per added minute first;
        True if any was inserted. Only the team that changed is scored again."""
        if not pool:
            return False
        cand = np.fromiter(sorted(pool), dtype=int)
        alive = np.ones(len(cand), dtype=bool)
        teams = len(self.orders)
        score = np.full((teams, len(cand)), -np.inf)
        where = np.zeros((teams, len(cand)), dtype=int)

        def rescore(c: int) -> None:
            cost = self._insert_costs(c, cand)
            at = np.argmin(cost, axis=0)
            extra = cost[at, np.arange(len(cand))] * self.scale + self.dwell
            fits = alive & (self.time(c) + extra <= self.budget)
            score[c] = np.where(fits, self.profit[cand] ** self.power / np.maximum(extra, 1e-6), -np.inf)
            where[c] = at

        for c in range(teams):
            rescore(c)
        added = False
        while True:
            flat = int(np.argmax(score))
            c, i = divmod(flat, len(cand))
            if not np.isfinite(score[c, i]):
                return added
            node = int(cand[i])
            self.orders[c].insert(int(where[c, i]), node)
            self.lengths[c] = route_length(self.dist, self.orders[c], self.closed)
            pool.discard(node)
            alive[i] = False
            score[:, i] = -np.inf
            self._reroute(c)
            rescore(c)
            added = True

    def swap(self, pool: set[int]) -> bool:
        """The best exchange that raises the total priority: a waiting candidate takes the place
        of a planned one, which either moves to another team where it still fits, or, if it has
        a lower priority, goes back to the waiting list. True if one was made."""
        if not pool:
            return False
        cand = np.fromiter(sorted(pool), dtype=int)
        d = self.dist
        taken = np.asarray([x for o in self.orders for x in o if x not in self.fixed], dtype=int)
        if not len(taken):
            return False
        # the cheapest other team each planned site would still fit in (-1: none)
        team_of = {int(x): c for c, o in enumerate(self.orders) for x in o}
        extra_in = np.vstack([self._insert_costs(c, taken).min(axis=0) * self.scale + self.dwell
                              for c in range(len(self.orders))])
        times = np.asarray([self.time(c) for c in range(len(self.orders))])
        extra_in[times[:, None] + extra_in > self.budget] = np.inf
        extra_in[[team_of[int(x)] for x in taken], np.arange(len(taken))] = np.inf
        dest_of = {int(x): (int(np.argmin(extra_in[:, j])) if np.isfinite(extra_in[:, j].min()) else None)
                   for j, x in enumerate(taken)}
        best = None
        for c, order in enumerate(self.orders):
            if not order:
                continue
            us, vs = self._edges(c)
            cost = self._insert_costs(c, cand)  # edges × candidates
            # cheapest insertion over edges before k (lead[k]) and from k on (tail[k]): leaving out
            # the two edges that touch the site taken out
            inf_row = np.full((1, len(cand)), np.inf)
            lead = np.vstack([inf_row, np.minimum.accumulate(cost, axis=0)])
            tail = np.vstack([np.minimum.accumulate(cost[::-1], axis=0)[::-1], inf_row])
            for i, v in enumerate(order):
                if v in self.fixed:
                    continue
                dest = dest_of[v]
                gain = self.profit[cand] - (0.0 if dest is not None else self.profit[v])
                if not (gain > 1e-9).any():
                    continue
                prev, nxt = us[i], vs[i + 1]  # edges i and i+1 touch v
                bridge_len = 0.0 if nxt == -1 else d[prev, nxt]
                saved = d[prev, v] + (0.0 if nxt == -1 else d[v, nxt]) - bridge_len
                bridge = d[prev, cand] + (0.0 if nxt == -1 else d[cand, nxt] - bridge_len)
                extra = np.minimum(np.minimum(lead[i], tail[i + 2]), bridge)
                new_time = times[c] + (extra - saved) * self.scale
                ok = (new_time <= self.budget) & (gain > 1e-9)
                if not ok.any():
                    continue
                score = np.where(ok, gain, -np.inf)
                j = int(np.argmax(score))
                if best is None or score[j] > best[0] + 1e-9:
                    best = (float(score[j]), c, v, int(cand[j]), dest)
        if best is None:
            return False
        _, c, v, u, dest = best
        order = [x for x in self.orders[c] if x != v]
        order.insert(int(np.argmin(self._insert_costs_for(order, u))), u)
        self.orders[c] = order
        self.lengths[c] = route_length(d, order, self.closed)
        self._reroute(c)
        pool.discard(u)
        if dest is None:
            pool.add(v)
        else:
            target = self.orders[dest]
            target.insert(int(np.argmin(self._insert_costs_for(target, v))), v)
            self.lengths[dest] = route_length(d, target, self.closed)
            self._reroute(dest)
        return True

    def _insert_costs_for(self, order: list[int], u: int) -> np.ndarray:
        d = self.dist
        seq = [0] + order + ([0] if self.closed else [])
        costs = [d[a, u] + d[u, b] - d[a, b] for a, b in zip(seq[:-1], seq[1:])]
        if not self.closed:
            costs.append(d[seq[-1], u])
        return np.asarray(costs)

    def improve(self, pool: set[int], rounds: int = 30) -> None:
        """Fill and swap until nothing changes (a local optimum)."""
        for _ in range(rounds):
            changed = self.fill(pool)
            while self.swap(pool):
                changed = True
                self.fill(pool)
            if not changed:
                break

    def value(self) -> float:
        return float(sum(self.profit[i] for o in self.orders for i in o))

    def state(self, pool: set[int]) -> tuple:
        return self.value(), [list(o) for o in self.orders], list(self.lengths), set(pool)

    def _shake(self, pool: set[int], start: int, size: int) -> set[int]:
        """Take ``size`` consecutive candidates out of every route from position ``start``."""
        out: set[int] = set()
        for c, order in enumerate(self.orders):
            free = [k for k, x in enumerate(order) if x not in self.fixed]
            if not free:
                continue
            picked = {order[free[(start + j) % len(free)]] for j in range(min(size, len(free)))}
            self.orders[c] = [x for x in order if x not in picked]
            self.lengths[c] = route_length(self.dist, self.orders[c], self.closed)
            out |= picked
        pool |= out
        return out

    def search(self, pool: set[int], shakes: int) -> set[int]:
        """Iterated local search after Vansteenwegen et al. (2009, ILS for the team orienteering
        problem): shake a run of sites out of every route, fill again, keep the best seen; the run
        grows while nothing better turns up, and the search goes on from the shaken solution.
        Deterministic. Returns the pool of the best solution."""
        self.improve(pool)
        best = self.state(pool)
        start, size = 0, 1
        for _ in range(shakes):
            longest = max((len(o) for o in self.orders), default=0)
            if longest == 0:
                break
            out = self._shake(pool, start, size)
            others = pool - out  # the sites just taken out wait one fill: try something else first
            self.fill(others)
            pool &= others | out
            self.improve(pool, rounds=2)
            if self.value() > best[0] + 1e-9:
                best = self.state(pool)
                size = 1
            else:
                size += 1
                if size > max(1, longest // 2 + 1):
                    size = 1
            start += size
        _, orders, lengths, pool = best
        self.orders, self.lengths = orders, lengths
        return pool

    def polish(self, pool: set[int]) -> set[int]:
        """Iterated local search on each final route, then fill the time it frees."""
        for c in range(len(self.orders)):
            self._reroute(c, kicks=polish_kicks(len(self.orders[c])))
        self.improve(pool)
        return pool


def _shakes(candidates: int) -> int:
    """ILS rounds: many for small lists (they then reach the optimum in most cases, see
    bench/bench_plan.py), fewer for long ones (keeps 300 candidates under the 2 s target)."""
    return max(5, min(100, 2000 // max(candidates, 1)))


def choose_and_route(dist: np.ndarray, xy_sites: np.ndarray, n_chosen: int, profit: np.ndarray,
                     settings: PlanSettings) -> list[list[int]]:
    """Site indices (1-based, into ``dist``) per team, in walking order: every chosen site (the
    first ``n_chosen``), split and balanced as :func:`split_and_route` does, plus the candidates
    (the rest) that fit each team's time budget, highest total priority first."""
    n = len(xy_sites)
    if n_chosen:
        sub = split_and_route(dist[: n_chosen + 1, : n_chosen + 1], xy_sites[:n_chosen], settings)
    else:
        sub = [[] for _ in range(settings.teams)]
    budget = settings.minutes * (1 - _BUDGET_MARGIN)
    best = None
    # Two ways of ranking insertions (priority per minute, and priority squared per minute,
    # which favours high priorities); the larger total priority wins, then the shorter walk.
    for power in (1.0, 2.0):
        chooser = _Chooser(dist, sub, set(range(1, n_chosen + 1)), profit, settings, budget, power)
        pool = chooser.search(set(range(n_chosen + 1, n + 1)), shakes=_shakes(n - n_chosen))
        chooser.polish(pool)
        key = (round(chooser.value(), 6), -round(sum(chooser.lengths), 3))
        if best is None or key > best[0]:
            best = (key, chooser)
    orders = [list(o) for o in best[1].orders]

    def bearing(order):
        if not order:
            return 999.0
        x, y = xy_sites[order[0] - 1]
        return (math.degrees(math.atan2(x, y)) + 360) % 360
    if not n_chosen:  # teams numbered clockwise from north, as split_and_route numbers them
        orders = sorted(orders, key=bearing)
    return orders


# ---------------------------------------------------------------------------------------------
# plans


def build_route(team: int, sites: list[PlanSite], settings: PlanSettings) -> TeamRoute:
    """Times and distances of ``sites`` walked in this order (exact geodesic legs)."""
    stops: list[Stop] = []
    lat, lon = settings.start_lat, settings.start_lon
    clock = 0.0
    walked = 0.0
    for seq, site in enumerate(sites, start=1):
        leg = geodesic_m(lat, lon, site.lat, site.lon) * settings.detour
        if seq > 1:
            clock += settings.minutes_per_site
        clock += settings.walk_minutes(leg)
        walked += leg
        stops.append(Stop(site, seq, leg, clock))
        lat, lon = site.lat, site.lon
    total = clock + (settings.minutes_per_site if sites else 0.0)
    back = 0.0
    if settings.return_to_start and sites:
        back = geodesic_m(lat, lon, settings.start_lat, settings.start_lon) * settings.detour
        total += settings.walk_minutes(back)
        walked += back
    over = max(0.0, total - settings.minutes) if settings.minutes else 0.0
    return TeamRoute(team, stops, walked, back, total, over)


def make_plan(sites: list[PlanSite], settings: PlanSettings, left_out: list[LeftOut] | None = None) -> Plan:
    """Split ``sites`` into ``settings.teams`` teams and order each route.

    Sites the organizer chose (``PlanSite.chosen``, the default) are each in exactly one route,
    over the budget if need be (the plan then warns). Candidates (``chosen=False``) are taken
    only while every team stays within ``settings.minutes``, highest priority first, and only
    places a team can photograph (:mod:`wikitown.walk.outdoors`); with no budget every outdoor
    candidate is planned. Everything not planned is in ``left_out`` with its reason (nothing is
    dropped silently)."""
    from wikitown.walk.outdoors import outdoor_reason

    settings = replace(settings).validate()
    usable, left = [], list(left_out or [])
    seen: set[str] = set()
    for s in sites:
        if s.id in seen:
            left.append(LeftOut(s.id, s.name, "duplicate_id"))
        elif not valid_coord(s.lat, s.lon):
            left.append(LeftOut(s.id, s.name, "no_coords"))
        elif not s.chosen and outdoor_reason(s.site):
            seen.add(s.id)
            left.append(LeftOut(s.id, s.name, outdoor_reason(s.site)))
        else:
            seen.add(s.id)
            usable.append(s)
    chosen = [s for s in usable if s.chosen]
    candidates = sorted((s for s in usable if not s.chosen), key=lambda s: (-s.priority, s.id))
    budgeted = settings.minutes is not None and bool(candidates)
    notes: list[tuple[str, dict]] = []
    if usable and settings.teams > len(usable) and not budgeted:
        notes.append(("plan.note.more_teams_than_sites", {"teams": settings.teams, "sites": len(usable)}))
    if not usable:
        return Plan(settings, [build_route(c + 1, [], settings) for c in range(settings.teams)], left, notes)
    ordered = chosen + candidates
    lats = [settings.start_lat] + [s.lat for s in ordered]
    lons = [settings.start_lon] + [s.lon for s in ordered]
    dist = distance_matrix(lats, lons)
    xy = _local_xy(lats[1:], lons[1:], settings.start_lat, settings.start_lon)
    if budgeted:
        profit = np.concatenate([[0.0], [max(s.priority, 0.0) + 1.0 for s in ordered]])  # +1: every site counts
        orders = choose_and_route(dist, xy, len(chosen), profit, settings)
        taken = {i for order in orders for i in order}
        left += [LeftOut(s.id, s.name, "over_budget") for i, s in enumerate(ordered, start=1) if i not in taken]
    else:
        orders = split_and_route(dist, xy, settings)
    routes = [build_route(c + 1, [ordered[i - 1] for i in order], settings) for c, order in enumerate(orders)]
    return Plan(settings, routes, left, notes)


def replan_routes(plan: Plan, sites_by_team: dict[int, list[PlanSite]]) -> Plan:
    """A plan with the given team contents, in the given orders (times recomputed)."""
    routes = [build_route(team, sites_by_team.get(team, []), plan.settings)
              for team in range(1, plan.settings.teams + 1)]
    return Plan(plan.settings, routes, list(plan.left_out), list(plan.notes))


def _teams_dict(plan: Plan) -> dict[int, list[PlanSite]]:
    return {r.team: [s.site for s in r.stops] for r in plan.routes}


def move_site(plan: Plan, site_id: str, team: int, position: int | None = None) -> Plan:
    """Move a site to ``team`` (possibly its own team, to reorder). ``position`` is 1-based in
    the new route; None puts it where it adds the least walking. Other sites keep their order."""
    if not 1 <= team <= plan.settings.teams:
        raise InputError(f"there is no team {team}", key="plan.error.no_team", team=team)
    src = plan.team_of(site_id)
    teams = _teams_dict(plan)
    site = next(s for s in teams[src] if s.id == site_id)
    teams[src] = [s for s in teams[src] if s.id != site_id]
    target = teams.setdefault(team, [])
    if position is None:
        position = _cheapest_position(target, site, plan.settings)
    else:
        if not 1 <= position <= len(target) + 1:
            raise InputError(f"position must be between 1 and {len(target) + 1}", key="plan.error.position",
                             high=len(target) + 1, value=position)
    target.insert(position - 1, site)
    return replan_routes(plan, teams)


def _cheapest_position(route: list[PlanSite], site: PlanSite, settings: PlanSettings) -> int:
    pts = [(settings.start_lat, settings.start_lon)] + [(s.lat, s.lon) for s in route]
    best, best_pos = math.inf, len(route) + 1
    for k in range(len(pts)):
        u = pts[k]
        add = geodesic_m(*u, site.lat, site.lon)
        if k + 1 < len(pts):
            v = pts[k + 1]
            add += geodesic_m(site.lat, site.lon, *v) - geodesic_m(*u, *v)
        elif settings.return_to_start:
            v = pts[0]
            add += geodesic_m(site.lat, site.lon, *v) - geodesic_m(*u, *v)
        if add < best - 1e-9:
            best, best_pos = add, k + 1
    return best_pos


def reorder(plan: Plan, team: int, site_ids: list[str]) -> Plan:
    """Walk ``team``'s sites in exactly this order (the same sites, nothing added or lost)."""
    route = plan.route(team)
    current = {s.site.id: s.site for s in route.stops}
    if sorted(site_ids) != sorted(current) or len(set(site_ids)) != len(site_ids):
        raise InputError("the new order must list each of the team's sites once", key="plan.error.reorder",
                         team=team)
    teams = _teams_dict(plan)
    teams[team] = [current[i] for i in site_ids]
    return replan_routes(plan, teams)


def optimise_team(plan: Plan, team: int) -> Plan:
    """Re-order one team's route by the heuristic (after hand moves)."""
    route = plan.route(team)
    sites = [s.site for s in route.stops]
    if len(sites) < 2:
        return plan
    s = plan.settings
    dist = distance_matrix([s.start_lat] + [x.lat for x in sites], [s.start_lon] + [x.lon for x in sites])
    order = order_route(dist, list(range(1, len(sites) + 1)), s.return_to_start, kicks=polish_kicks(len(sites)))
    teams = _teams_dict(plan)
    teams[team] = [sites[i - 1] for i in order]
    return replan_routes(plan, teams)


def with_settings(plan: Plan, settings: PlanSettings) -> Plan:
    """The same teams and orders under new times (budget, speed, minutes per site ...)."""
    settings = replace(settings).validate()
    if settings.teams != plan.settings.teams:
        raise InputError("changing the number of teams needs a new plan", key="plan.error.teams_changed")
    moved = Plan(settings, plan.routes, plan.left_out, plan.notes)
    return replan_routes(moved, _teams_dict(plan))


def site_needs(article_status: str | None, has_photo, image: str | None = "") -> tuple[str, ...]:
    """What a team should do at a site: a photo unless one is known to exist (unknown counts as
    needed: photos are cheap), an article unless one is known to exist."""
    needs = []
    if not (_truthy(has_photo) or (image or "").strip()):
        needs.append("photo")
    if (article_status or "unchecked") != "exists":
        needs.append("article")
    return tuple(needs)


def _truthy(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and value != value:
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t", "はい", "有", "あり")
    return bool(value)


# ---------------------------------------------------------------------------------------------
# where sites come from, where plans go

SETTINGS_KEY = "plan.settings"
LEFT_OUT_KEY = "plan.left_out"  # the plan's left-out sites and why, as made (list of LeftOut dicts)
USABLE_COORDS = ("ok", "geocoded")  # 'suspect' and 'missing' points are not walked to
REQUIRED_CSV = ("site_id", "name", "lat", "lon")
MAX_CSV_BYTES = 50 * 1024 * 1024


def _float_or_none(value) -> float | None:
    try:
        number = float(str(value).strip().replace("，", "."))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def plan_site_from_row(row: dict) -> PlanSite:
    """A site row (store column names, or the sites CSV's) as a :class:`PlanSite`. The name stays
    as the source words it (trimmed); ids and codes are normalised."""
    from wikitown.core.normalize import nfkc

    site = Site.from_dict({k: v for k, v in row.items() if k not in ("lat", "lon")})
    site.id = nfkc(row.get("site_id") or row.get("id"))
    site.name = str(row.get("name") or "").strip() if not _blank(row.get("name")) else ""
    site.lat, site.lon = _float_or_none(row.get("lat")), _float_or_none(row.get("lon"))
    site.name_kana, site.designation = nfkc(row.get("name_kana")), nfkc(row.get("designation"))
    site.address = nfkc(row.get("address"))
    return PlanSite(site=site, needs=site_needs(nfkc(row.get("article_status")) or None, row.get("has_photo"),
                                                nfkc(row.get("image"))))


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def sort_usable(rows: list[tuple[dict, int | None]]) -> tuple[list[PlanSite], list[LeftOut]]:
    """Split rows into walkable sites and left-out ones, with the reason for each."""
    usable, left = [], []
    seen: set[str] = set()
    for row, line in rows:
        site = plan_site_from_row(row)
        status = str(row.get("coord_status") or "").strip().lower()
        if not site.id:
            left.append(LeftOut("", site.name, "no_id", line))
        elif site.id in seen:
            left.append(LeftOut(site.id, site.name, "duplicate_id", line))
        elif status == "suspect":
            left.append(LeftOut(site.id, site.name, "suspect_coords", line))
        elif not valid_coord(site.lat, site.lon) or (status and status not in USABLE_COORDS):
            left.append(LeftOut(site.id, site.name, "no_coords", line))
        else:
            seen.add(site.id)
            usable.append(site)
    return usable, left


def read_sites_csv(path) -> tuple[list[PlanSite], list[LeftOut]]:
    """Sites from a sites CSV (``wikitown.store.sites.CSV_COLUMNS``; at least site_id, name, lat, lon).

    Without a ``selected`` column every row is chosen (the file is the organizer's list). With one
    (the app's sites export), the selected rows are chosen; when none is, every row is a
    candidate the planner picks from by priority (a ``priority`` column is used when present).

    UTF-8 (with or without BOM), Shift_JIS (cp932) or EUC-JP, read as the importer reads lists. Rows that cannot be walked to are
    returned in the second list with their CSV line number."""
    import csv
    import io
    from pathlib import Path

    if Path(path).stat().st_size > MAX_CSV_BYTES:  # checked before reading it into memory
        raise InputError(f"{path}: the file is larger than 50 MB", key="plan.error.csv_too_big", path=str(path))
    from wikitown.core.csvout import unguard
    from wikitown.sources.opendata import decode_bytes  # the one reader of Japanese CSV encodings

    try:
        text, _encoding = decode_bytes(Path(path).read_bytes())
    except InputError:
        raise InputError(f"{path}: not UTF-8, Shift_JIS or EUC-JP text", key="plan.error.csv_encoding",
                         path=str(path)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_CSV if c not in columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}", key="plan.error.csv_columns",
                         path=str(path), columns=", ".join(missing))
    rows = []
    for row in reader:
        # a sites CSV wikitown exported has formula-like cells guarded with ' (core.csvout): undo that
        clean = {(k or "").strip(): unguard(v) for k, v in row.items() if k is not None}
        if not any((v or "").strip() for v in clean.values() if isinstance(v, str)):
            continue
        rows.append((clean, reader.line_num))
    if "selected" not in columns:  # a list made for the walk: every row is the organizer's choice
        return sort_usable(rows)
    return _chosen_or_candidates(rows)


def _row_priority(row: dict) -> float:
    """A site's priority (``gaps.collect.priority``, without the distance term: the planner weighs
    walking itself); a CSV's own ``priority`` column wins when it holds a number."""
    own = _float_or_none(row.get("priority")) if not _blank(row.get("priority")) else None
    if own is not None:
        return own
    from wikitown.gaps.collect import priority

    photo = row.get("has_photo")
    if isinstance(photo, str):
        photo = None if not photo.strip() else _truthy(photo)
    values = {k: (None if _blank(v) or v == "" else v) for k, v in row.items()}
    return priority({**values, "has_photo": photo, "lat": None, "lon": None})


def _chosen_or_candidates(rows: list[tuple[dict, int | None]]) -> tuple[list[PlanSite], list[LeftOut]]:
    """The selected rows, each chosen by hand; or, when none is selected, every row as a
    candidate the planner picks from by priority."""
    picked = [(r, line) for r, line in rows if _truthy(r.get("selected"))]
    usable, left = sort_usable(picked or rows)
    from wikitown.core.normalize import nfkc

    by_id: dict[str, dict] = {}
    for r, _line in picked or rows:
        by_id.setdefault(nfkc(r.get("site_id") or r.get("id")), r)
    for site in usable:
        site.chosen = bool(picked)
        site.priority = _row_priority(by_id.get(site.id, {}))
    return usable, left


def event_sites(store) -> tuple[list[PlanSite], list[LeftOut], str]:
    """The sites an event's walk plans: the selected ones (each chosen by hand), or, when none is
    selected, every site as a candidate the planner picks from by priority within the budget.
    Returns (walkable sites, left-out sites, scope) with scope ``"selected"`` or ``"all"``."""
    from wikitown.store.sites import load_sites, site_values

    rows = [{**site_values(s), "id": s.id} for s in load_sites(store, order_by="id")]
    chosen = [r for r in rows if r.get("selected")]
    scope = "selected" if chosen else "all"
    usable, left = _chosen_or_candidates([(r, None) for r in rows])
    return usable, left, scope


def save_plan(store, plan: Plan) -> None:
    """Replace the event's plan (``plan_assignments`` and the settings) in one transaction."""
    from wikitown.store.db import plan_assignments

    with store.write() as conn:
        conn.execute(plan_assignments.delete())
        rows = [{"site_id": r["site_id"], "team": r["team"], "seq": r["order"], "leg_m": float(r["leg_m"]),
                 "arrival_min": float(r["arrival_min"])} for r in plan.rows()]
        if rows:
            conn.execute(plan_assignments.insert(), rows)
        store.set_kv(SETTINGS_KEY, plan.settings.to_dict(), conn=conn)
        store.set_kv(LEFT_OUT_KEY, [asdict(x) for x in plan.left_out], conn=conn)


def load_plan(store) -> Plan | None:
    """The event's saved plan with fresh times (sites may have moved since), or None.

    Sites deleted since are gone from their route; sites whose coordinates are no longer usable
    are listed in ``left_out``."""
    import sqlalchemy as sa

    from wikitown.store.db import plan_assignments
    from wikitown.store.sites import load_sites, site_values

    raw = store.get_kv(SETTINGS_KEY)
    if not raw:
        return None
    settings = PlanSettings.from_dict(raw)
    with store.read() as conn:
        assigned = conn.execute(sa.select(plan_assignments.c.team, plan_assignments.c.seq, plan_assignments.c.site_id)
                                .order_by(plan_assignments.c.team, plan_assignments.c.seq)).all()
    known = {s.id: s for s in load_sites(store, [a.site_id for a in assigned])}
    rows = [{**site_values(known[a.site_id]), "team": a.team, "seq": a.seq} for a in assigned if a.site_id in known]
    teams: dict[int, list[PlanSite]] = {}
    usable, left = sort_usable([(dict(r), None) for r in rows])
    by_id = {s.id: s for s in usable}
    for r in rows:
        site = by_id.get(r["id"])
        if site is not None and 1 <= r["team"] <= settings.teams:
            teams.setdefault(r["team"], []).append(site)
    made = [LeftOut(**{k: x.get(k) for k in ("site_id", "name", "reason", "line")})
            for x in store.get_kv(LEFT_OUT_KEY) or [] if isinstance(x, dict) and x.get("reason")]
    empty = Plan(settings, [], made + [x for x in left if x.site_id not in {m.site_id for m in made}], [])
    return replan_routes(empty, teams)


def plan_event(event, settings: PlanSettings, *, save: bool = True) -> tuple[Plan, str]:
    """Plan an event's walk (selected sites, or all when none is selected) and save it.
    Returns the plan and the scope (``"selected"`` or ``"all"``)."""
    usable, left, scope = event_sites(event.store)
    plan = make_plan(usable, settings, left)
    if save:
        save_plan(event.store, plan)
    return plan, scope


def plan_csv_bytes(plan: Plan) -> bytes:
    """``plan.csv``: site_id, team, order, leg_m, arrival_min (and the name, for people); UTF-8 with
    a BOM, names never a formula (core.csvout)."""
    from wikitown.core.csvout import csv_bytes, dict_rows

    columns = ["site_id", "team", "order", "leg_m", "arrival_min", "name"]
    return csv_bytes(columns, dict_rows(columns, plan.rows()))


def left_out_csv_bytes(plan: Plan) -> bytes:
    """``left_out.csv``: the sites in no route and why (reason codes as in ``LeftOut``)."""
    from wikitown.core.csvout import csv_bytes

    return csv_bytes(["site_id", "name", "reason", "line"],
                     ([x.site_id, x.name, x.reason, x.line] for x in plan.left_out))
