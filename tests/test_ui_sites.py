"""The organizer's sites tab in AppTest: filters, per-source failure messages with the rest still
shown, manual merge, export buttons."""
from __future__ import annotations


from streamlit.testing.v1 import AppTest

from tests.harness.apptest import signed_in



def organizer(lang="en") -> AppTest:
    return signed_in("organizer", lang, timeout=60)


def _by_key(items, key):
    return next(i for i in items if i.key == key)


def test_filters_and_exports(demo_env):
    at = organizer()
    assert not at.exception
    assert len(at.dataframe[0].value) == 158
    _by_key(at.multiselect, "sites_f_level").select("national").run()
    frame = at.dataframe[0].value
    assert 0 < len(frame) < 158
    assert set(frame["Designation"].str[0]) == {"国"}  # 国指定, 国選定, 国重文 ...
    _by_key(at.checkbox, "sites_f_article").check().run()
    assert len(at.dataframe[0].value) == 0  # nothing is known to be missing before the wiki was asked
    _by_key(at.checkbox, "sites_f_article").uncheck().run()
    _by_key(at.multiselect, "sites_f_level").unselect("national").run()
    priorities = list(at.dataframe[0].value["Priority"])
    assert priorities == sorted(priorities, reverse=True)
    keys = {b.key for b in at.get("download_button")}
    assert {f"sites_export_{f}" for f in ("csv", "geojson", "gpx", "kml", "wikitext")} <= keys


def test_failed_sources_are_named_and_the_rest_is_shown(demo_env, standin, monkeypatch):
    server = standin()
    server.route("POST", "/sparql", (400, {"Content-Type": "text/plain"}, "MalformedQueryException"))
    server.route("POST", "/api/interpreter", {"version": 0.6, "elements": [
        {"type": "node", "id": 1, "lat": 34.8712, "lon": 138.3118, "tags": {"historic": "memorial", "name": "新しい碑"}}]})
    # a private wiki refuses every read, GET or POST (the existence screen is a POST)
    server.route("*", "/w/api.php", {"error": {"code": "readapidenied", "info": "You need read permission"}})
    monkeypatch.setenv("WIKITOWN_WIKIDATA_SPARQL_URL", f"{server.url}/sparql")
    monkeypatch.setenv("WIKITOWN_OVERPASS_URL", f"{server.url}/api/interpreter")
    monkeypatch.setenv("WIKITOWN_WIKI_API_URL", f"{server.url}/w/api.php")
    at = organizer("ja")
    _by_key(at.button, "sites_gaps").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(e.startswith("Wikidata は失敗しました") for e in errors)
    assert any(e.startswith("Wikipedia は失敗しました") and "readapidenied" in e for e in errors)
    assert not any(e.startswith("OpenStreetMap") for e in errors)
    frame = at.dataframe[0].value
    assert len(frame) == 159 and "新しい碑" in set(frame["名称"])  # OSM's site added, the rest kept
    assert set(frame["記事"]) == {"未確認"}


def test_manual_merge(demo_env):
    at = organizer()
    from wikitown.store.events import open_event
    from wikitown.store.sites import sites_frame

    frame = sites_frame(open_event(demo_env).store)
    a = frame[frame["name"] == "法華寺"]["id"].iloc[0]
    b = frame[frame["name"] == "常楽寺"]["id"].iloc[0]
    _by_key(at.multiselect, "sites_merge_pick").select(a).select(b).run()
    _by_key(at.button, "sites_merge").click().run()
    assert not at.exception
    after = at.dataframe[0].value
    assert len(after) == len(frame) - 1
    merged = after[after["Name"].isin(["法華寺", "常楽寺"])]
    # one file, two rows, one site now: one source named ("、" parts the names of several)
    assert len(merged) == 1 and merged["Sources"].iloc[0] == "bunkazai_map.geojson"


def test_walk_targets_are_saved(demo_env):
    """Ticking "walk target" in the table writes sites.selected (what the plan feature plans)."""
    from types import SimpleNamespace

    import pandas as pd
    import sqlalchemy as sa

    from wikitown.app.sites import _save_selection, filter_frame
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event
    from wikitown.store.sites import sites_frame
    from wikitown.store.db import sites

    event = open_event(demo_env)
    load_configured_opendata(event)
    frame = filter_frame(sites_frame(event.store), levels=["national"]).reset_index(drop=True)
    edited = pd.DataFrame({"selected": [i < 2 for i in range(len(frame))]})
    assert _save_selection(SimpleNamespace(event=event), frame, edited) == 2
    with event.store.read() as conn:
        chosen = set(conn.execute(sa.select(sites.c.id).where(sites.c.selected.is_(True))).scalars())
    assert chosen == set(frame["id"][:2])
    event.close()


def test_select_all_shown_sites(demo_env):
    """With a filter set, one button makes every shown site a walk target (and no other)."""
    import sqlalchemy as sa

    from wikitown.store.events import open_event
    from wikitown.store.db import sites

    at = organizer()
    _by_key(at.multiselect, "sites_f_level").select("national").run()
    shown = set(at.dataframe[0].value["Name"])
    _by_key(at.button, "sites_select_shown").click().run()
    assert not at.exception
    assert any("changes saved" in s.value for s in at.success)
    event = open_event(demo_env)
    with event.store.read() as conn:
        chosen = set(conn.execute(sa.select(sites.c.name).where(sites.c.selected.is_(True))).scalars())
    event.close()
    assert chosen == shown and 0 < len(chosen) < 158
