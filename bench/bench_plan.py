"""Time to plan a walk: 300 sites in 10 teams (target: under 2 s), plus the balance it reaches.

    python bench/bench_plan.py [--sites 300] [--teams 10] [--repeat 3]

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
    t0 = time.perf_counter()
    files = plan_bundle(plan, event_name="bench", join_link="http://localhost:8501/participant?event=x&code=ABCD")
    print(f"  sheets + GPX for {args.teams} teams: {time.perf_counter() - t0:.2f} s, "
          f"{sum(len(v) for v in files.values()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
