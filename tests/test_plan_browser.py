"""The plan tab in Chromium at laptop size: a first-time organizer makes a plan with the defaults,
then clicks a stop on the route map to start from there."""

import math
import shutil

import pytest

from tests.harness.app import goto_app, shot, wait_for_app
from wikitown.finds.access import DEMO_PASSPHRASES
from wikitown.store.events import open_event

pytestmark = pytest.mark.browser


def test_first_plan_fits_and_a_click_on_the_map_picks_the_start(start_app, phone_context, tmp_path, project_root):
    events = tmp_path / "events"
    shutil.copytree(project_root / "events" / "demo-yaizu", events / "demo-yaizu",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    url = start_app(events)
    page = phone_context(viewport={"width": 1280, "height": 900}).new_page()
    goto_app(page, f"{url}/organizer")
    page.get_by_label("パスフレーズ").fill(DEMO_PASSPHRASES["organizer"])
    page.get_by_role("button", name="ログイン").click()
    wait_for_app(page)
    page.get_by_role("tab", name="班分け・ルート").click()
    wait_for_app(page)
    page.get_by_role("button", name="計画する").click()
    wait_for_app(page)
    page.get_by_text("すべてのチームが予定時間に収まっています。").wait_for()

    from wikitown.app.plan import fit_view
    from wikitown.walk.planner import load_plan

    event = open_event(events / "demo-yaizu")
    plan = load_plan(event.store)
    event.close()
    s = plan.settings
    stops = [x for r in plan.routes for x in r.stops]
    view = fit_view([x.site.lat for x in stops] + [s.start_lat], [x.site.lon for x in stops] + [s.start_lon])
    # a stop well apart from the others and from the start, so the click picks it alone
    def apart(x):
        return min(math.dist((x.site.lat, x.site.lon), (y.site.lat, y.site.lon)) for y in stops if y is not x)
    target = max(stops, key=apart).site

    chart = page.locator("[data-testid='stDeckGlJsonChart']").last
    chart.scroll_into_view_if_needed()
    chart.locator("canvas").first.wait_for()
    box = chart.locator("canvas").first.bounding_box()

    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)

    world = 512 * 2 ** view.zoom
    x = box["x"] + box["width"] / 2 + (target.lon - view.longitude) / 360 * world
    y = box["y"] + box["height"] / 2 - (merc(target.lat) - merc(view.latitude)) * world
    page.mouse.move(x, y)
    page.get_by_text(target.name).first.wait_for()  # the tooltip: deck.gl has picked the stop
    page.mouse.click(x, y)
    wait_for_app(page)
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text="出発地点にする文化財")
    # the list shows the clicked stop (its text is the value of the list's input)
    picker.locator(f"input[value^='{target.name}']").wait_for(state="attached")
    shot(page, "plan-start-picked-on-map", tall=True)
    # planning again starts there, and every team still fits
    page.get_by_role("button", name="計画する").click()
    wait_for_app(page)
    page.get_by_text(f"出発地点：{target.name}").wait_for()
    event = open_event(events / "demo-yaizu")
    again = load_plan(event.store)
    event.close()
    assert (again.settings.start_lat, again.settings.start_lon, again.settings.start_label) == (
        target.lat, target.lon, target.name)
    assert all(r.over_min == 0 for r in again.routes)
