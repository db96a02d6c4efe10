"""GPX per team: parsed back with gpxpy, a route plus waypoints in walking order."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import gpxpy
import pytest

from wikitown.walk import planner as P
from wikitown.walk.gpx import team_gpx
from wikitown.walk.planner import PlanSettings, PlanSite

YAIZU = (34.8669, 138.3236)
SITES = [
    PlanSite("a", "常楽寺", 34.8640, 138.3230, name_kana="じょうらくじ", designation="市指定文化財",
             address="焼津市西小川", needs=("photo", "article")),
    PlanSite("b", "焼津神社", 34.8700, 138.3190, designation="", address="焼津市焼津2丁目", needs=("article",)),
    PlanSite("c", "<b>碑</b> & \"石\"", 34.8690, 138.3270, needs=()),
]


@pytest.mark.parametrize("back", [False, True])
def test_gpx_round_trip(back):
    plan = P.make_plan(SITES, PlanSettings(*YAIZU, teams=1, return_to_start=back))
    route = plan.routes[0]
    text = team_gpx(route, plan, event_name="焼津ウィキペディアタウン", lang="ja")
    gpx = gpxpy.parse(text)
    assert gpx.version == "1.1" and gpx.creator == "wikitown"
    assert gpx.name == "焼津ウィキペディアタウン チーム 1"
    # waypoints: the start, then every site numbered in walking order
    assert gpx.waypoints[0].name == "出発地点"
    assert (gpx.waypoints[0].latitude, gpx.waypoints[0].longitude) == pytest.approx(YAIZU)
    names = [w.name for w in gpx.waypoints[1:]]
    assert names == [f"{s.seq:02d} {s.site.name}" for s in route.stops]
    assert sorted(n[3:] for n in names) == sorted(s.name for s in SITES)  # markup stays text
    for w, stop in zip(gpx.waypoints[1:], route.stops):
        assert (w.latitude, w.longitude) == pytest.approx((stop.site.lat, stop.site.lon))
    jorakuji = next(w for w in gpx.waypoints if w.name.endswith("常楽寺"))
    assert "じょうらくじ" in jorakuji.description and "写真・記事" in jorakuji.description
    # one route from the start through the sites (and back when asked)
    assert len(gpx.routes) == 1
    points = [(p.latitude, p.longitude) for p in gpx.routes[0].points]
    expected = [YAIZU] + [(s.site.lat, s.site.lon) for s in route.stops] + ([YAIZU] if back else [])
    assert points == pytest.approx(expected)
    assert gpx.tracks == []
    # plain GPX 1.1 XML any app can read: the standard namespace, wpt before rte
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx"
    tags = [child.tag.split("}")[1] for child in root]
    assert tags.index("wpt") < tags.index("rte")
    assert "<b>" not in text  # escaped, never raw markup


def test_gpx_in_english():
    plan = P.make_plan(SITES[:2], PlanSettings(*YAIZU, teams=1))
    gpx = gpxpy.parse(team_gpx(plan.routes[0], plan, lang="en"))
    assert gpx.name == "Team 1" and gpx.waypoints[0].name == "Start"
    assert any("photo + article" in (w.description or "") for w in gpx.waypoints)
