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
    assert "文化財がまだ選ばれていないので、座標のある全 158 件を計画します。" in text
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
    assert len(rows) == 158 and {r["team"] for r in rows} == {1, 2, 3, 4}
    summary = frame_with(at, "チーム", "文化財数", "超過（分）")
    assert list(summary["チーム"]) == [1, 2, 3, 4] and summary["文化財数"].sum() == 158
    # 40 sites a team at 10 minutes each cannot fit two hours: each warning says by how much
    over = dict(zip(summary["チーム"], summary["超過（分）"]))
    for team in (1, 2, 3, 4):
        assert f"チーム {team} は予定時間を {over[team]} 分超えています。" in text
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
    assert len(after) == 158
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
    assert "No sites are selected yet, so all 158 sites with coordinates are planned." in texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
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
    assert len(saved_plan(demo_env)) == 158
    event = open_event(demo_env)
    from wikitown.store.db import sites as sites_table

    with event.store.write() as conn:
        ids = [r[0] for r in conn.execute(sa.select(sites_table.c.id).order_by(sites_table.c.id).limit(5))]
        conn.execute(sites_table.update().where(sites_table.c.id.in_(ids)).values(selected=True))
    event.close()
    at.run()
    text = texts(at, ("subheader", "markdown", "caption", "info", "warning", "error", "success"))
    assert "Planning the 5 selected sites." in text
    assert "153 sites in the plan are no longer among the chosen sites" in text
