"""Choosing what fits: with no site chosen by hand the planner picks, within each team's time
budget, the candidates of highest total priority (the team orienteering problem); sites that
cannot be photographed outdoors stay out unless chosen; the start is a site or a place name."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wikitown.core.errors import InputError, ServiceUnavailable
from wikitown.core.site import Site
from wikitown.store.db import Store
from wikitown.walk import planner as P
from wikitown.walk.outdoors import outdoor_reason
from wikitown.walk.planner import PlanSettings, PlanSite
from wikitown.walk.start import resolve_start

YAIZU = (34.8669, 138.3236)


def candidates(n, seed=0, spread=0.02, **site):
    rng = np.random.default_rng(seed)
    return [PlanSite(site=Site(id=f"c{i}", name=f"候補{i}", lat=YAIZU[0] + rng.uniform(-spread, spread),
                               lon=YAIZU[1] + rng.uniform(-spread, spread), coord_status="ok", **site),
                     chosen=False, priority=float(rng.choice([15, 35, 55, 90]))) for i in range(n)]


@pytest.mark.parametrize("back", [False, True])
def test_candidates_fit_every_budget_and_the_rest_is_left_out_with_why(back):
    sites = candidates(120, seed=1)
    plan = P.make_plan(sites, PlanSettings(*YAIZU, teams=4, minutes=90, return_to_start=back))
    planned = [x.site for r in plan.routes for x in r.stops]
    assert all(r.stops and r.total_min <= 90 and r.over_min == 0 for r in plan.routes)
    assert plan.warnings == []
    assert sorted([s.id for s in planned] + [x.site_id for x in plan.left_out]) == sorted(s.id for s in sites)
    assert {x.reason for x in plan.left_out} == {"over_budget"}
    assert 12 < len(planned) < 60
    # higher priorities first: the planned sites are on average far more important than the rest
    rest = [s for s in sites if s.id not in {p.id for p in planned}]
    assert np.mean([s.priority for s in planned]) > np.mean([s.priority for s in rest]) + 10


def test_a_team_with_nothing_that_fits_stays_empty_and_sites_far_away_are_left_out():
    far = candidates(5, seed=2, spread=0.01)
    for s in far:
        s.site.lat += 0.3  # ~33 km north: no walk of an hour reaches them
    plan = P.make_plan(far, PlanSettings(*YAIZU, teams=2, minutes=60))
    assert all(not r.stops for r in plan.routes)
    assert [x.reason for x in plan.left_out] == ["over_budget"] * 5


def test_chosen_sites_are_always_planned_and_candidates_fill_the_time_left():
    chosen = [PlanSite("h1", "選んだ寺", 34.8700, 138.3240), PlanSite("h2", "選んだ神社", 34.8640, 138.3200)]
    plan = P.make_plan(chosen + candidates(60, seed=3), PlanSettings(*YAIZU, teams=2, minutes=60))
    planned = {sid for r in plan.routes for sid in r.site_ids}
    assert {"h1", "h2"} <= planned and len(planned) > 2
    assert all(r.over_min == 0 for r in plan.routes)
    # chosen by hand and over the budget: still planned, with a warning saying by how much
    many = [PlanSite(f"m{i}", f"寺{i}", 34.86 + i * 0.001, 138.32) for i in range(12)]
    tight = P.make_plan(many + candidates(10, seed=4), PlanSettings(*YAIZU, teams=1, minutes=30))
    assert {f"m{i}" for i in range(12)} <= set(tight.routes[0].site_ids)
    assert tight.warnings and tight.warnings[0][1] > 0


def exact_best(dist, profit, settings):
    """Brute force: the highest total priority K routes within the budget can collect."""
    n = dist.shape[0] - 1
    scale = settings.detour / settings.metres_per_minute

    def minutes(group):
        if not group:
            return 0.0
        best = min(sum(dist[a, b] for a, b in zip((0,) + p, p + ((0,) if settings.return_to_start else ())))
                   for p in itertools.permutations(group))
        return best * scale + settings.minutes_per_site * len(group)

    fits = {}
    best = 0.0
    for assign in itertools.product(range(settings.teams + 1), repeat=n):
        value = sum(profit[i] for i in range(n) if assign[i])
        if value <= best:
            continue
        groups = [tuple(i + 1 for i in range(n) if assign[i] == t) for t in range(1, settings.teams + 1)]
        if any(groups[k] > groups[k + 1] for k in range(len(groups) - 1)):
            continue  # teams are interchangeable
        ok = True
        for g in groups:
            if g not in fits:
                fits[g] = minutes(g) <= settings.minutes * (1 - P._BUDGET_MARGIN)
            ok = ok and fits[g]
        if ok:
            best = value
    return best


def test_choice_matches_the_exact_optimum_on_small_cases():
    rng = np.random.default_rng(7)
    gaps = []
    for case in range(12):
        n = int(rng.integers(6, 8))
        teams = int(rng.integers(1, 3))
        sites = candidates(n, seed=100 + case, spread=0.008)
        settings = PlanSettings(*YAIZU, teams=teams, minutes=float(rng.choice([30, 45])),
                                return_to_start=bool(case % 2))
        plan = P.make_plan(sites, settings)
        profit = [s.priority + 1 for s in sites]
        by_id = {s.id: p for s, p in zip(sites, profit)}
        got = sum(by_id[x.site.id] for r in plan.routes for x in r.stops)
        dist = P.distance_matrix([YAIZU[0]] + [s.lat for s in sites], [YAIZU[1]] + [s.lon for s in sites])
        gaps.append(1 - got / exact_best(dist, profit, settings))
    print(f"\nchoice: worst gap {max(gaps):.2%} over {len(gaps)} cases, optimal in {sum(g < 1e-9 for g in gaps)}")
    assert min(gaps) > -1e-9 and max(gaps) < 0.05


@pytest.mark.parametrize("category,designation,name,reason", [
    ("絵画", "市指定", "絵馬", "not_outdoors"),
    ("彫刻", "県指定", "木造阿弥陀如来坐像", "not_outdoors"),
    ("彫刻", "", "石造地蔵菩薩立像", ""),
    ("古文書", "市指定", "文書", "not_outdoors"),
    ("工芸品", "市指定", "梵鐘", "not_outdoors"),
    ("無形民俗", "市指定", "山の神祭", "intangible"),
    ("民俗文化財", "国指定", "藤守の田遊び", "intangible"),
    ("無形文化財", "", "技", "intangible"),
    ("有形民俗文化財", "", "六十六部廻国供養塔", ""),
    ("建造物", "市指定", "山門", ""),
    ("史跡", "", "城跡", ""),
    ("天然記念物", "", "大楠", ""),
    ("", "市指定有形文化財（絵画）", "掛軸", "not_outdoors"),
    ("", "", "何かの場所", ""),
])
def test_what_can_be_photographed_outdoors(category, designation, name, reason):
    assert outdoor_reason(Site(name=name, category=category, designation=designation)) == reason


def test_indoor_and_intangible_candidates_stay_out_unless_chosen_by_hand():
    painting = PlanSite(site=Site(id="p", name="絵馬", category="絵画", lat=34.867, lon=138.324), chosen=False,
                        priority=90)
    dance = PlanSite(site=Site(id="d", name="田遊び", category="民俗文化財", lat=34.866, lon=138.323),
                     chosen=False, priority=90)
    temple = PlanSite(site=Site(id="t", name="寺", category="寺院", kind="temple", lat=34.868, lon=138.322),
                      chosen=False, priority=15)
    plan = P.make_plan([painting, dance, temple], PlanSettings(*YAIZU, teams=1, minutes=120))
    assert plan.routes[0].site_ids == ["t"]
    assert sorted((x.site_id, x.reason) for x in plan.left_out) == [("d", "intangible"), ("p", "not_outdoors")]
    by_hand = PlanSite(site=painting.site, chosen=True)
    again = P.make_plan([by_hand, dance, temple], PlanSettings(*YAIZU, teams=1, minutes=120))
    assert sorted(again.routes[0].site_ids) == ["p", "t"]


def test_event_sites_are_candidates_with_priorities_until_some_are_selected(tmp_path):
    from wikitown.store.sites import set_selected, upsert_sites

    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upsert_sites(store, [Site(id="a", name="国の寺", designation_level="national", designation="国指定",
                              article_status="missing", has_photo=False, lat=34.86, lon=138.32, coord_status="ok"),
                         Site(id="b", name="寺", article_status="exists", has_photo=True, lat=34.87, lon=138.32,
                              coord_status="ok")])
    usable, _left, scope = P.event_sites(store)
    assert scope == "all" and not any(s.chosen for s in usable)
    prio = {s.id: s.priority for s in usable}
    assert prio["a"] > prio["b"]
    set_selected(store, {"b": True})
    usable, _left, scope = P.event_sites(store)
    assert scope == "selected" and [(s.id, s.chosen) for s in usable] == [("b", True)]
    store.dispose()


def test_saved_plan_keeps_its_left_out_list(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    from wikitown.store.sites import upsert_sites

    sites = candidates(40, seed=5)
    upsert_sites(store, [s.site for s in sites])
    plan = P.make_plan(sites, PlanSettings(*YAIZU, teams=2, minutes=45))
    P.save_plan(store, plan)
    again = P.load_plan(store)
    assert sorted((x.site_id, x.reason) for x in again.left_out) == sorted((x.site_id, x.reason)
                                                                          for x in plan.left_out)
    assert again.rows() == plan.rows()
    store.dispose()


class FakeGeocoder:
    def __init__(self, answer=None, offline=False):
        self.answer, self.offline, self.queries = answer, offline, []

    def lookup(self, query):
        self.queries.append(query)
        if self.offline:
            raise ServiceUnavailable("nominatim", "https://nominatim.invalid", "no network")
        return self.answer


def test_start_from_a_site_a_place_or_coordinates():
    sites = [Site(id="s1", name="焼津神社", lat=34.8712, lon=138.3268), Site(id="s2", name="常楽寺", lat=34.864,
                                                                          lon=138.323),
             Site(id="s3", name="常楽寺跡", lat=34.87, lon=138.31), Site(id="s4", name="座標なし")]
    assert (resolve_start("焼津神社", sites).lat, resolve_start("焼津神社", sites).label) == (34.8712, "焼津神社")
    assert resolve_start("s2", sites).site_id == "s2"
    assert resolve_start("常楽寺", sites).site_id == "s2"  # the exact name wins over the longer one
    assert resolve_start("焼津神", sites).site_id == "s1"  # a unique part of a name
    assert resolve_start("34.8669, 138.3236", sites).lat == pytest.approx(34.8669)
    with pytest.raises(InputError) as err:
        resolve_start("寺", sites)
    assert err.value.key == "plan.error.start_ambiguous" and "s2" in err.value.params["names"]
    station = FakeGeocoder((34.8712, 138.3103, "焼津駅, 焼津市"))
    got = resolve_start("焼津駅", sites, station, near="焼津市")
    assert (got.lat, got.lon, got.label) == (34.8712, 138.3103, "焼津駅") and station.queries == ["焼津駅 焼津市"]
    with pytest.raises(InputError) as err:
        resolve_start("焼津駅", sites, FakeGeocoder(offline=True))
    assert err.value.key == "plan.error.start_offline"
    with pytest.raises(InputError) as err:
        resolve_start("どこか", sites, FakeGeocoder(None))
    assert err.value.key == "plan.error.start_unknown"
    with pytest.raises(InputError):
        resolve_start("95,200", sites)
