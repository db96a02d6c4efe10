"""The organizer's and librarian's app at any size: only the open view runs, reads cached per sites
revision (and fresh after any write), a paged table, maps with a legend and an offline note that
aggregate a prefecture's points; times shown local and short; pickers by name and municipality; the
drafts list opens a draft; the report lists its sources. Streamlit's AppTest (no browser)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.harness.apptest import open_view, signed_in, texts

VIEW_HEADINGS = {"sites": "文化財・スポット", "plan": "班分け・ルート", "checklists": "チェックリスト",
                 "report": "報告", "publish": "公開", "event": "新しいイベントを作る"}


def _grow(event_dir, extra: int) -> None:
    """``extra`` more sites, in the real schema, through the store's own function."""
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event
    from wikitown.store.sites import upsert_sites

    event = open_event(event_dir)
    load_configured_opendata(event)
    upsert_sites(event.store, [{"id": f"x{i:05d}", "name": f"石碑 {i}", "municipality": "藤枝市",
                                "lat": 34.80 + (i % 97) * 0.002, "lon": 138.20 + (i // 97) * 0.002,
                                "coord_status": "ok", "article_status": ("missing", "exists")[i % 2],
                                "provenance": [{"source": "opendata:ishibumi.csv", "source_id": f"line{i}"}]}
                               for i in range(extra)])
    event.close()


def test_only_the_open_view_runs(demo_env):
    at = signed_in("organizer", "ja")
    assert not at.exception
    heads = [s.value for s in at.subheader]
    assert heads[0] == "文化財・スポット" and "班分け・ルート" not in heads and "チェックリスト" not in heads
    assert len(at.tabs) == 7  # the tab bar itself is whole
    for view, heading in VIEW_HEADINGS.items():
        open_view(at, view)
        assert not at.exception, (view, at.exception)
        heads = [s.value for s in at.subheader]
        assert heading in heads, (view, heads)
        others = {h for v, h in VIEW_HEADINGS.items() if v != view} - {heading}
        assert not others & set(heads), (view, heads)
    # the open view stays open over reruns and a change of language
    open_view(at, "plan")
    at.run()
    assert "班分け・ルート" in [s.value for s in at.subheader]
    at.session_state["lang"] = "en"
    at.run()
    assert "Teams and routes" in [s.value for s in at.subheader], [s.value for s in at.subheader]


def test_cached_reads_follow_every_write(demo_env, monkeypatch):
    from wikitown.app.cache import ranked_sites, sites_changed, sites_revision
    from wikitown.store.db import sites
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event

    event = open_event(demo_env)
    load_configured_opendata(event)
    before = sites_revision(event.store)
    assert sites_revision(event.store) == before  # cheap and stable when nothing changed
    import wikitown.store.sites as store_sites

    reads = []
    real = store_sites.sites_frame
    monkeypatch.setattr(store_sites, "sites_frame", lambda *a, **k: reads.append(1) or real(*a, **k))
    frame = ranked_sites(event)
    assert ranked_sites(event)["id"].tolist() == frame["id"].tolist()
    assert len(reads) == 1  # the expensive read happens once per revision
    # a walk target ticked from outside the app (a script): shown at once, with no new read
    with event.store.write() as conn:
        conn.execute(sa.update(sites).where(sites.c.id == frame["id"][0]).values(selected=True))
    assert sites_revision(event.store) == before
    assert bool(ranked_sites(event).set_index("id").loc[frame["id"][0], "selected"]) and len(reads) == 1
    # a site moved by a script, without updated_at: a new read
    with event.store.write() as conn:
        conn.execute(sa.update(sites).where(sites.c.id == frame["id"][1]).values(lat=35.0))
    assert sites_revision(event.store) != before
    fresh = ranked_sites(event)
    assert fresh.set_index("id").loc[frame["id"][1], "lat"] == 35.0 and len(reads) == 2
    # the app's own writes within one second are told apart by its token
    now = sites_revision(event.store)
    sites_changed(event.store)
    assert sites_revision(event.store) != now
    event.close()


def test_table_is_paged_and_the_map_aggregates_a_large_list(demo_env, monkeypatch):
    from wikitown.app import maps, sites as sites_ui

    _grow(demo_env, 450)  # 608 sites
    monkeypatch.setattr(maps, "MAX_POINTS", 300)
    at = signed_in("organizer", "ja")
    assert not at.exception
    assert len(at.dataframe[0].value) == sites_ui.PAGE_SIZE
    page = at.number_input(key="sites_page")
    assert (page.value, page.proto.max) == (1, 4)
    first = set(at.dataframe[0].value["名称"])
    page.set_value(4).run()
    last = at.dataframe[0].value
    assert len(last) == 608 - 3 * sites_ui.PAGE_SIZE and not first & set(last["名称"])
    text = texts(at)
    assert re.search(r"608 件は多すぎるので、近くの文化財をまとめて \d+ 個の円で表示しています", text)
    chart = at.get("deck_gl_json_chart")[0]
    import json

    spec = json.loads(chart.proto.json)
    cells = spec["layers"][0]["data"]
    assert 0 < len(cells) <= 300 and sum(c["count"] for c in cells) == 608
    # filtered below the limit: one point a site again
    at.checkbox(key="sites_f_article").check().run()
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert "name" in spec["layers"][0]["data"][0] and len(spec["layers"][0]["data"]) == 225


def test_every_map_has_a_legend_and_the_offline_note(demo_env):
    from wikitown.finds.capture import join_event, submit_find
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event

    event = open_event(demo_env)
    load_configured_opendata(event)
    pid = join_event(event, "歩く人", "cc-by-sa-4.0")
    submit_find(event, pid, [], note="どこ", browser_location=(34.86, 138.30, 400))  # vague: queued
    event.close()
    at = signed_in("organizer", "ja")
    note = "背景の地図はインターネットに接続しているときだけ表示されます"

    def legend_labels():
        import base64

        urls = [u for e in at.get("image") for u in e.value if u.startswith("data:image/svg+xml;base64,")]
        assert urls, "no legend"
        return "\n".join(base64.b64decode(u.split(",", 1)[1]).decode() for u in urls)

    assert at.get("deck_gl_json_chart") and note in texts(at)
    assert "未確認" in legend_labels()
    open_view(at, "finds")
    assert at.get("deck_gl_json_chart") and note in texts(at)
    assert "場所の確認待ちの投稿" in legend_labels() and "文化財" in legend_labels()
    open_view(at, "plan")
    at.number_input(key="plan_teams").set_value(2)
    next(b for b in at.button if b.label == "計画する").click()
    at.run()
    assert at.get("deck_gl_json_chart") and note in texts(at)
    labels = legend_labels()
    assert "チーム 1" in labels and "チーム 2" in labels and "出発地点" in labels


def test_legend_picture_escapes_its_labels():
    from wikitown.app.maps import legend_svg

    svg = legend_svg([([210, 30, 30], "記事なし"), ([0, 0, 0], "<script>&")])
    assert "記事なし" in svg and "rgb(210,30,30)" in svg
    assert "<script>" not in svg and "&lt;script&gt;&amp;" in svg
    import xml.dom.minidom

    xml.dom.minidom.parseString(svg)  # well-formed


def test_aggregate_keeps_every_point():
    from wikitown.app.maps import aggregate

    frame = pd.DataFrame({"lat": [34 + i * 1e-3 for i in range(1000)], "lon": [138 + (i % 37) * 1e-3 for i in range(1000)],
                          "article_status": ["missing" if i % 3 else "exists" for i in range(1000)]})
    cells = aggregate(frame, "article_status", cells=10)
    assert cells["count"].sum() == 1000 and len(cells) <= 11 * 11
    assert cells["n_missing"].sum() == 666 and cells["n_exists"].sum() == 334


@pytest.mark.parametrize("value,lang,expected", [
    ("2026-11-28T05:03:12.123456+00:00", "ja", "11月28日 14:03"),
    ("2026-11-28T05:03:12+00:00", "en", "28 Nov 14:03"),
    ("2025-12-31T15:30:00Z", "ja", "1月1日 00:30"),  # this year in Japan
    ("2025-12-31T14:30:00Z", "en", "31 Dec 2025 23:30"),
    ("2025-06-01T00:00:00", "ja", "2025年6月1日 09:00"),  # naive: UTC
    ("", "ja", ""),
    ("あとで", "ja", "あとで"),
])
def test_short_local_times(monkeypatch, value, lang, expected):
    from wikitown.core.timefmt import short_time

    monkeypatch.setenv("WIKITOWN_TIMEZONE", "Asia/Tokyo")
    assert short_time(value, lang, today=dt.date(2026, 12, 2)) == expected


def test_service_errors_in_words(monkeypatch):
    from wikitown.core.errors import ServiceError, ServiceUnavailable

    err = ServiceUnavailable("ndl_search", "http://127.0.0.1:9/api", "no network (name lookup failed)")
    assert err.message("ja") == ("国立国会図書館サーチ に接続できませんでした（ネットワークにつながっていません"
                                 "（接続先の名前を調べられません））。ネットワークを確認してください。ほかの機能はそのまま使えます。")
    assert "ndl_search" not in err.message("en") and "NDL Search" in err.message("en")
    assert "Wikipedia API" not in ServiceError("Wikipedia API", "readapidenied: x").message("ja")
    assert "ウィキペディア" in ServiceError("Wikipedia API", "readapidenied: x").message("ja")
    assert str(err).startswith("ndl_search could not be reached")  # logs stay English


def test_librarian_pickers_name_sites_and_the_drafts_list_opens_a_draft(demo_env):
    from wikitown.drafts import builder
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event
    from wikitown.store.sites import sites_frame

    event = open_event(demo_env)
    load_configured_opendata(event)
    frame = sites_frame(event.store)
    with event.store.write() as conn:  # a municipality, as the sitemodel importer records it
        from wikitown.store.db import sites

        conn.execute(sa.update(sites).values(municipality="焼津市"))
    target = frame[frame["name"] == "常楽寺"].iloc[0]
    builder.open_draft(event, target["id"], author="司書", role="librarian", check_wiki=False)
    event.close()
    at = signed_in("librarian", "ja")
    assert not at.exception
    picker = at.selectbox(key="draft_site")
    assert all(re.fullmatch(r".+（焼津市）", o) for o in picker.options), picker.options[:5]
    assert not any(re.search(r"\bs[0-9a-f]{11}\b", o) for o in picker.options)  # no internal ids
    opener = next(b for b in at.button if b.key.startswith("draft_open_"))
    assert "常楽寺（焼津市）" in opener.label
    assert picker.value != target["id"]
    opener.click().run()
    assert not at.exception
    assert at.selectbox(key="draft_site").value == target["id"]
    assert any(t.value.startswith("常楽寺") for t in at.text_input if t.key and t.key.startswith("draft_title_"))


def test_report_lists_each_source_and_its_sites(demo_env):
    from dataclasses import replace

    from wikitown.report import build_report, to_html, to_markdown
    from wikitown.store.events import open_event

    event = open_event(demo_env)
    report = replace(build_report(event), sources_used=[
        {"title": "焼津市史", "authors": "焼津市", "kind": "book", "isbn": "", "sites": [f"寺 {i}" for i in range(150)]}])
    event.close()
    md = to_markdown(report, "ja")
    part = md.split("## 使った資料", 1)[1].split("\n## ", 1)[0]
    items = [line for line in part.splitlines() if line.strip().startswith("- ")]
    assert items[0] == "- 焼津市史 (焼津市)" and len(items) == 151
    assert all(line.startswith("    - 寺 ") for line in items[1:])
    assert to_html(report, "ja").count("<li>寺 ") == 150
