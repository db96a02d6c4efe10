"""Time to plan a walk: 300 sites in 10 teams (target: under 2 s), plus the balance it reaches.

    python bench/bench_plan.py [--sites 300] [--teams 10] [--minutes 120] [--repeat 3] [--small 60]

Two kinds of plan: sites chosen by hand (all planned, balanced) and candidates the planner picks
from within a time budget, highest priority first (the team orienteering problem). For the second,
the priority collected is compared with the exact optimum on ``--small`` random cases of 8-10
sites and 1-3 teams (every subset, each team's route by Held-Karp), and a greedy that takes sites
in priority order is shown for scale.

Sites are spread like a town (a dense centre, sparser outskirts) around Yaizu; the figures are
the best of ``--repeat`` runs, open routes and routes back to the start. Also times the sheets
and GPX for the result (not part of the 2 s target).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wikitown.walk.planner import PlanSettings, PlanSite, make_plan  # noqa: E402
from wikitown.walk.sheets import plan_bundle  # noqa: E402

START = (34.8669, 138.3236)


def town(n: int, seed: int = 1) -> list[PlanSite]:
    rng = np.random.default_rng(seed)
    dense = int(n * 0.6)
    lat = np.concatenate([rng.normal(START[0], 0.006, dense), rng.normal(START[0] - 0.01, 0.025, n - dense)])
    lon = np.concatenate([rng.normal(START[1], 0.007, dense), rng.normal(START[1] - 0.01, 0.03, n - dense)])
    return [PlanSite(f"b{i}", f"文化財{i}", float(a), float(o), name_kana=f"ぶんかざい{i}",
                     designation="市指定", address=f"焼津市{i}", needs=("photo", "article"))
            for i, (a, o) in enumerate(zip(lat, lon))]


def candidates(n: int, seed: int = 1) -> list[PlanSite]:
    """The town's sites as candidates with priorities like gaps.collect.priority's (15-90)."""
    rng = np.random.default_rng(seed + 100)
    return [PlanSite(site=s.site, needs=s.needs, chosen=False, priority=float(rng.choice([15, 35, 45, 55, 65, 90])))
            for s in town(n, seed)]


def exact_best(dist: np.ndarray, profit: np.ndarray, settings: PlanSettings) -> float:
    """The highest total priority any K routes within the budget can collect (n <= ~12)."""
    n = dist.shape[0] - 1
    scale = settings.detour / settings.metres_per_minute
    full = 1 << n
    inf = float("inf")
    # path[mask][last]: shortest walk from the start through mask ending at last (Held-Karp)
    path = [[inf] * n for _ in range(full)]
    for i in range(n):
        path[1 << i][i] = dist[0, i + 1]
    for mask in range(1, full):
        row = path[mask]
        for last in range(n):
            here = row[last]
            if here == inf:
                continue
            for nxt in range(n):
                bit = 1 << nxt
                if mask & bit:
                    continue
                cand = here + dist[last + 1, nxt + 1]
                if cand < path[mask | bit][nxt]:
                    path[mask | bit][nxt] = cand
    fits = [True] + [False] * (full - 1)
    for mask in range(1, full):
        ends = [path[mask][i] + (dist[i + 1, 0] if settings.return_to_start else 0.0) for i in range(n)]
        minutes = min(ends) * scale + settings.minutes_per_site * bin(mask).count("1")
        fits[mask] = minutes <= settings.minutes
    value = [sum(profit[i + 1] for i in range(n) if mask >> i & 1) for mask in range(full)]
    reach = fits[:]  # masks that k routes can cover, k = 1..K
    for _ in range(settings.teams - 1):
        more = reach[:]
        for mask in range(full):
            if more[mask]:
                continue
            sub = mask
            while sub:
                if fits[sub] and reach[mask ^ sub]:
                    more[mask] = True
                    break
                sub = (sub - 1) & mask
        reach = more
    return max(v for v, ok in zip(value, reach) if ok)


def compare_exact(cases: int) -> None:
    from wikitown.walk.planner import distance_matrix

    rng = np.random.default_rng(2026)
    gaps, greedy_gaps, optimal = [], [], 0
    for case in range(cases):
        n = int(rng.integers(8, 11))
        teams = int(rng.integers(1, 4))
        sites = candidates(n, seed=500 + case)
        for s in sites:  # a small town: 1-2 km across
            s.site.lat = START[0] + (s.site.lat - START[0]) * 0.4
            s.site.lon = START[1] + (s.site.lon - START[1]) * 0.4
        minutes = float(rng.choice([30, 45, 60]))
        back = bool(rng.integers(0, 2))
        settings = PlanSettings(*START, teams=teams, minutes=minutes, return_to_start=back)
        plan = make_plan(sites, settings)
        profit = {s.id: s.priority + 1 for s in sites}
        got = sum(profit[x.site.id] for r in plan.routes for x in r.stops)
        dist = distance_matrix([START[0]] + [s.lat for s in sites], [START[1]] + [s.lon for s in sites])
        exact_settings = PlanSettings(*START, teams=teams, minutes=minutes * (1 - 0.002), return_to_start=back)
        best = exact_best(dist, np.asarray([0.0] + [profit[s.id] for s in sites]), exact_settings)
        gaps.append(1 - got / best)
        optimal += got >= best - 1e-9
        greedy_gaps.append(_greedy_by_priority(sites, settings, profit, best))
        assert all(r.over_min == 0 for r in plan.routes)
    print(f"  choosing within the budget, {cases} cases of 8-10 sites, 1-3 teams: optimal in {optimal}, "
          f"mean gap {np.mean(gaps):.2%}, worst gap {max(gaps):.2%} of the exact optimum's priority; "
          f"taking sites in priority order while they fit: mean gap {np.mean(greedy_gaps):.2%}, "
          f"worst {max(greedy_gaps):.2%}")


def _greedy_by_priority(sites, settings, profit, best) -> float:
    """Take sites in priority order, each into the team where it adds least, if it still fits."""
    from wikitown.walk.planner import build_route

    teams: dict[int, list] = {c: [] for c in range(1, settings.teams + 1)}
    for s in sorted(sites, key=lambda s: (-s.priority, s.id)):
        best_team = None
        for c, route in teams.items():
            trial = build_route(c, route + [PlanSite(site=s.site, needs=s.needs)], settings)
            if trial.over_min == 0 and (best_team is None or trial.total_min < best_team[0]):
                best_team = (trial.total_min, c)
        if best_team:
            teams[best_team[1]].append(PlanSite(site=s.site, needs=s.needs))
    got = sum(profit[x.id] for route in teams.values() for x in route)
    return 1 - got / best


def compare_networkx(plan) -> None:
    """Our closed routes against networkx's TSP approximations on the same sites (why we do not
    use them: slower, and longer; see wikitown/walk/planner.py)."""
    import networkx as nx

    from wikitown.walk.planner import distance_matrix

    s = plan.settings
    ours = nx_christo = nx_greedy = 0.0
    t_nx = 0.0
    for route in plan.routes:
        lats = [s.start_lat] + [x.site.lat for x in route.stops]
        lons = [s.start_lon] + [x.site.lon for x in route.stops]
        dist = distance_matrix(lats, lons)
        graph = nx.complete_graph(len(lats))
        for a, b in graph.edges:
            graph[a][b]["weight"] = dist[a, b]
        ours += sum(dist[i, i + 1] for i in range(len(lats) - 1)) + dist[len(lats) - 1, 0]
        t0 = time.perf_counter()
        for method, name in ((nx.approximation.christofides, "christofides"),
                             (nx.approximation.greedy_tsp, "greedy")):
            cycle = nx.approximation.traveling_salesman_problem(graph, cycle=True, method=method)
            length = sum(dist[a, b] for a, b in zip(cycle, cycle[1:]))
            if name == "christofides":
                nx_christo += length
            else:
                nx_greedy += length
        t_nx += time.perf_counter() - t0
    print(f"  same teams, closed routes, straight-line: ours {ours / 1000:.1f} km; networkx christofides "
          f"{nx_christo / 1000:.1f} km ({nx_christo / ours - 1:+.1%}), greedy {nx_greedy / 1000:.1f} km "
          f"({nx_greedy / ours - 1:+.1%}); networkx took {t_nx:.2f} s for both")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--teams", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--small", type=int, default=60, help="small cases compared with the exact optimum")
    args = ap.parse_args()
    sites = town(args.sites)
    print(f"plan {args.sites} sites in {args.teams} teams (best of {args.repeat})")
    for back in (False, True):
        settings = PlanSettings(*START, teams=args.teams, minutes=240, return_to_start=back)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            plan = make_plan(sites, settings)
            best = min(best, time.perf_counter() - t0)
        times = [r.total_min for r in plan.routes]
        mean = float(np.mean(times))
        print(f"  {'return' if back else 'open  '}: {best:.2f} s "
              f"({'OK' if best < 2 else 'OVER'} the 2 s target); team minutes min/mean/max "
              f"{min(times):.0f}/{mean:.0f}/{max(times):.0f} (longest {max(times) / mean - 1:+.1%} of the mean); "
              f"walking {sum(r.walk_m for r in plan.routes) / 1000:.1f} km in all")
    compare_networkx(plan)
    cands = candidates(args.sites)
    for back in (False, True):
        settings = PlanSettings(*START, teams=args.teams, minutes=args.minutes, return_to_start=back)
        best = cpu = float("inf")
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            chosen = make_plan(cands, settings)
            best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        taken = [x.site for r in chosen.routes for x in r.stops]
        times = [r.total_min for r in chosen.routes]
        print(f"  {args.sites} candidates, {args.minutes:.0f} min, {'return' if back else 'open  '}: {best:.2f} s "
              f"(CPU {cpu:.2f} s; {'OK' if best < 2 else 'OVER'} the 2 s target); {len(taken)} sites taken, "
              f"{len(chosen.left_out)} left out; team minutes min/max {min(times):.0f}/{max(times):.0f} "
              f"(budget {args.minutes:.0f}); priority taken {sum(s.priority for s in taken):.0f} of "
              f"{sum(s.priority for s in cands):.0f}")
    compare_exact(args.small)
    t0 = time.perf_counter()
    files = plan_bundle(plan, event_name="bench", join_link="http://localhost:8501/participant?event=x&code=ABCD")
    print(f"  sheets + GPX for {args.teams} teams: {time.perf_counter() - t0:.2f} s, "
          f"{sum(len(v) for v in files.values()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
