"""The organizer's plan and checklist tabs in streamlit's AppTest (Japanese and English)."""

from __future__ import annotations


import sqlalchemy as sa

from tests.harness.apptest import open_view, signed_in, texts

from wikitown.store.events import open_event
from wikitown.store.db import checklist_state, plan_assignments



def organizer(lang="ja", view="plan"):
    at = signed_in("organizer", lang, view=view)
    assert not at.exception
    return at


def frame_with(at, *columns):
    """The first table holding these columns (AppTest does not expose a dataframe's key)."""
    for element in at.dataframe:
        if set(columns) <= set(element.value.columns):
            return element.value
    raise AssertionError(f"no table with {columns}")


def saved_plan(event_dir):
    event = open_event(event_dir)
    with event.store.read() as conn:
        rows = conn.execute(sa.select(plan_assignments).order_by(plan_assignments.c.team,
                                                                 plan_assignments.c.seq)).mappings().all()
    event.close()
    return [dict(r) for r in rows]


def test_plan_tab_plans_edits_and_offers_files(demo_env):
    at = organizer("ja")
    text = texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    # only the open view is drawn: the plan here, the checklists on their own tab
    assert "班分け・ルート" in text
    assert "チェックリスト" in texts(open_view(at, "checklists"), ("subheader",))
    open_view(at, "plan")
    assert "文化財がまだ選ばれていないので、座標のある 158 件から優先度の高い順に" in text
    assert "まだ計画がありません。" in text
    at.number_input(key="plan_teams").set_value(4)
    at.number_input(key="plan_minutes").set_value(120)
    at.checkbox(key="plan_return").check()
    at.button(key="FormSubmitter:plan_settings-計画する").click()
    at.run()
    assert not at.exception
    text = texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    assert "計画を作って保存しました。" in text
    rows = saved_plan(demo_env)
    planned = len(rows)
    assert 10 < planned < 158 and {r["team"] for r in rows} == {1, 2, 3, 4}
    summary = frame_with(at, "チーム", "文化財数", "超過（分）")
    assert list(summary["チーム"]) == [1, 2, 3, 4] and summary["文化財数"].sum() == planned
    # with no site selected the plan picks what fits two hours: no team is over
    assert list(summary["超過（分）"]) == [0, 0, 0, 0] and max(summary["所要（分）"]) <= 120
    assert "すべてのチームが予定時間に収まっています。" in text
    left = frame_with(at, "名称", "所在地", "理由")  # by name and place: no internal ids in the UI
    assert len(left) == 158 - planned
    assert "屋外で撮影できない（絵画・彫刻・工芸品・古文書など屋内の品）" in set(left["理由"])
    assert "left_out.csv（計画に入らなかった文化財と理由）" in [b.proto.label for b in at.get("download_button")]
    assert at.get("deck_gl_json_chart")

    # move the first site of team 1 to team 3, position 2: the store and the tables follow
    site_id = rows[0]["site_id"]
    at.selectbox(key="plan_move_site").set_value(site_id)
    at.number_input(key="plan_move_team").set_value(3)
    at.number_input(key="plan_move_pos").set_value(2)
    at.button(key="FormSubmitter:plan_move-移動する").click()
    at.run()
    assert not at.exception
    after = {r["site_id"]: r for r in saved_plan(demo_env)}
    assert (after[site_id]["team"], after[site_id]["seq"]) == (3, 2)
    assert len(after) == planned
    assert "チーム 3 の 2 番目に移しました" in texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    summary2 = frame_with(at, "チーム", "文化財数", "超過（分）")
    assert list(summary2["文化財数"]) == [summary["文化財数"][0] - 1, summary["文化財数"][1],
                                       summary["文化財数"][2] + 1, summary["文化財数"][3]]
    assert summary2["所要（分）"][0] < summary["所要（分）"][0]

    # files: plan.csv at once; PDFs, GPX and a ZIP once made
    assert at.get("download_button")
    at.button(key="plan_prepare").click()
    at.run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "すべて（ZIP）" in labels
    assert {f"チーム {n} の用紙（PDF）" for n in range(1, 5)} <= set(labels)
    assert {f"チーム {n} の GPX" for n in range(1, 5)} <= set(labels)


def test_plan_tab_in_english_and_bad_start(demo_env):
    at = organizer("en")
    assert "No sites are selected yet: the plan picks from the 158 sites with coordinates, highest priority first" in texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    at.text_input(key="plan_start").input("somewhere")
    at.button(key="FormSubmitter:plan_settings-Make the plan").click()
    at.run()
    assert "Enter the start as lat,lon" in texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    assert saved_plan(demo_env) == []


def test_checklist_ticks_are_saved_in_the_event(demo_env):
    at = organizer("ja", view="checklists")
    key = "cl_organizer-before_accounts-before-day"
    box = at.checkbox(key=key)
    assert "IP アドレス" in box.label and box.value is False
    box.check()
    at.run()
    assert not at.exception
    event = open_event(demo_env)
    with event.store.read() as conn:
        row = conn.execute(sa.select(checklist_state)).mappings().one()
    event.close()
    assert (row["checklist"], row["item"], row["checked"], row["by"]) == (
        "organizer-before", "accounts-before-day", True, "organizer")
    # a new session (another organizer's laptop) sees the tick, in English too
    again = organizer("en", view="checklists")
    box = again.checkbox(key=key)
    assert box.value is True and "per IP address per day" in box.label
    assert any(e.label.startswith("Before the event (organizer) (1/") for e in again.expander)


def test_plan_tab_notices_a_changed_selection(demo_env):
    at = organizer("en")
    at.number_input(key="plan_teams").set_value(2)
    at.button(key="FormSubmitter:plan_settings-Make the plan").click()
    at.run()
    planned = [r["site_id"] for r in saved_plan(demo_env)]
    assert len(planned) > 5
    event = open_event(demo_env)
    from wikitown.store.db import sites as sites_table

    with event.store.write() as conn:
        ids = planned[:3] + [r[0] for r in conn.execute(sa.select(sites_table.c.id).where(
            sites_table.c.id.not_in(planned)).order_by(sites_table.c.id).limit(2))]
        conn.execute(sites_table.update().where(sites_table.c.id.in_(ids)).values(selected=True))
    event.close()
    at.run()
    text = texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    assert "Planning the 5 selected sites." in text
    assert f"{len(planned) - 3} sites in the plan are no longer among the chosen sites" in text
    assert "2 sites chosen after the plan are in no team yet" in text


def test_plan_tab_starts_from_a_chosen_site_and_every_team_fits(demo_env):
    """A first-time organizer: picks the start from the list of sites (no coordinates typed),
    keeps the defaults and a two-hour budget: every team fits, and the start is named."""
    at = organizer("ja")
    box = at.selectbox(key="plan_start_site")
    label = next(o for o in box.options if o.startswith("焼津神社"))
    box.set_value(label_to_id(demo_env, "焼津神社"))
    at.run()
    assert at.selectbox(key="plan_start_site").options[at.selectbox(key="plan_start_site").index] == label
    at.number_input(key="plan_minutes").set_value(120)
    at.button(key="FormSubmitter:plan_settings-計画する").click()
    at.run()
    assert not at.exception
    text = texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    assert "出発地点：焼津神社" in text and "すべてのチームが予定時間に収まっています。" in text
    event = open_event(demo_env)
    from wikitown.walk.planner import load_plan

    plan = load_plan(event.store)
    event.close()
    assert plan.settings.start_label == "焼津神社"
    assert all(r.stops and r.over_min == 0 and r.total_min <= 120 for r in plan.routes)


def label_to_id(event_dir, name):
    event = open_event(event_dir)
    from wikitown.store.db import sites as sites_table

    with event.store.read() as conn:
        site_id = conn.execute(sa.select(sites_table.c.id).where(sites_table.c.name == name)).scalar_one()
    event.close()
    return site_id


def test_route_map_opens_zoomed_to_the_routes():
    """The view fits every stop in the map's box, and fills most of it (not the whole town or Japan)."""
    import math

    from wikitown.app.plan import MAP_HEIGHT, MAP_WIDTH, fit_view

    def merc_y(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)

    for lats, lons in (([34.860, 34.872, 34.866], [138.310, 138.331, 138.322]),  # a town centre, 2 km
                       ([34.80, 34.90], [138.25, 138.33]),  # a city, tall
                       ([34.8669, 34.8670], [138.3236, 138.3237])):  # two stops at one place
        view = fit_view(lats, lons)
        world = 512 * 2 ** view.zoom
        width = (max(lons) - min(lons)) / 360 * world
        height = (merc_y(max(lats)) - merc_y(min(lats))) * world
        assert width <= MAP_WIDTH and height <= MAP_HEIGHT
        assert view.zoom == 17.0 or max(width / MAP_WIDTH, height / MAP_HEIGHT) > 0.8
        assert min(lats) < view.latitude < max(lats) and min(lons) < view.longitude < max(lons)
