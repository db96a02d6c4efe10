"""``python -m wikitown plan``: from a sites CSV and from an event (the bundled demo, 158 sites: its two files share two sites, merged)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import gpxpy
import pytest
import sqlalchemy as sa

from wikitown.cli import main
from wikitown.store.events import open_event
from wikitown.core.paths import PROJECT_ROOT
from wikitown.store.sites import CSV_COLUMNS
from wikitown.store.db import plan_assignments, sites as sites_table


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WIKITOWN_LANG", "en")


def write_sites_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in CSV_COLUMNS})


def read_plan_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:  # UTF-8 with the BOM Excel needs
        return list(csv.DictReader(fh))


def demo_copy(tmp_path):
    dest = tmp_path / "events" / "demo-yaizu"
    shutil.copytree(PROJECT_ROOT / "events" / "demo-yaizu", dest,
                    ignore=shutil.ignore_patterns("store.sqlite*", "media", "cache", "out"))
    return dest


def test_plan_from_a_sites_csv(tmp_path, capsys):
    # a CSV without a selected column is the organizer's choice: all planned, over the budget with a warning
    rows = [dict(site_id=f"t{i}", name=f"文化財{i}", name_kana=f"ぶんかざい{i}", lat=f"{34.86 + i * 0.001:.6f}",
                 lon=f"{138.32 + (i % 5) * 0.002:.6f}", coord_status="ok", article_status="missing",
                 has_photo="False") for i in range(14)]
    rows.append(dict(site_id="nc", name="座標のない寺", coord_status="missing"))
    src = tmp_path / "sites.csv"
    write_sites_csv(src, rows)
    out = tmp_path / "out"
    code = main(["plan", str(src), "--teams", "3", "--start", "34.8669,138.3236", "--minutes", "45", "--return",
                 "--out", str(out), "--code", "ABCD-1234", "--slug", "town", "--base-url", "http://10.0.0.5:8501"])
    captured = capsys.readouterr()
    assert code == 0
    # the row without coordinates is reported, with its line, not dropped silently
    assert "Left out: line 16: 座標のない寺 (nc): no coordinates" in captured.err
    assert "over the time budget" in captured.err
    plan_rows = read_plan_csv(out / "plan.csv")
    assert list(plan_rows[0])[:5] == ["site_id", "team", "order", "leg_m", "arrival_min"]
    assert sorted(r["site_id"] for r in plan_rows) == sorted(f"t{i}" for i in range(14))
    assert {r["team"] for r in plan_rows} == {"1", "2", "3"}
    for team in ("1", "2", "3"):
        team_rows = [r for r in plan_rows if r["team"] == team]
        assert [int(r["order"]) for r in team_rows] == list(range(1, len(team_rows) + 1))
        arrivals = [float(r["arrival_min"]) for r in team_rows]
        assert arrivals == sorted(arrivals) and all(float(r["leg_m"]) >= 0 for r in team_rows)
        gpx = gpxpy.parse((out / f"team-{team}.gpx").read_text(encoding="utf-8"))
        assert [w.name[3:] for w in gpx.waypoints[1:]] == [f"文化財{r['site_id'][1:]}" for r in team_rows]
        assert (out / f"team-{team}.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "left_out.csv").read_text(encoding="utf-8-sig").splitlines()[1] == "nc,座標のない寺,no_coords,16"
    assert "Team 1:" in captured.out and "Wrote 8 files" in captured.out


def read_left_out(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_demo_event_end_to_end(tmp_path, capsys):
    """No site selected: the planner picks what fits 8 teams × 240 minutes, highest priority first;
    the rest (and everything that cannot be photographed outdoors) is in left_out.csv with why."""
    event_dir = demo_copy(tmp_path)
    out = tmp_path / "demo-out"
    code = main(["plan", "--event", str(event_dir), "--teams", "8", "--start", "34.8669,138.3236",
                 "--minutes", "240", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    event = open_event(event_dir)
    with event.store.read() as conn:
        located = conn.execute(sa.select(sa.func.count()).select_from(sites_table)
                               .where(sites_table.c.lat.is_not(None))).scalar_one()
        saved = conn.execute(sa.select(plan_assignments)).mappings().all()
        kinds = {r.id: (r.name, r.category) for r in conn.execute(sa.select(sites_table.c.id, sites_table.c.name,
                                                                              sites_table.c.category))}
    assert located == 158
    plan_rows = read_plan_csv(out / "plan.csv")
    left = read_left_out(out / "left_out.csv")
    assert f"{len(plan_rows)} sites with coordinates were chosen to fit the time" in captured.out
    # every site is in the plan or in left_out.csv, once
    assert sorted([r["site_id"] for r in plan_rows] + [r["site_id"] for r in left]) == sorted(kinds)
    reasons = {r["site_id"]: r["reason"] for r in left}
    assert set(reasons.values()) == {"over_budget", "not_outdoors", "intangible"}
    painting = next(i for i, (name, cat) in kinds.items() if cat == "絵画")
    performance = next(i for i, (name, cat) in kinds.items() if name == "藤守の田遊び")
    assert (reasons[painting], reasons[performance]) == ("not_outdoors", "intangible")
    assert "Left out: " in captured.err and "listed in left_out.csv" in captured.err
    assert "over the time budget" not in captured.err  # every team fits
    for team in range(1, 9):
        arrivals = [float(r["arrival_min"]) for r in plan_rows if r["team"] == str(team)]
        assert arrivals and max(arrivals) <= 240
    assert 40 <= len(plan_rows) < 158
    # the plan is saved in the event, the same as the file says
    assert sorted((r["site_id"], r["team"], r["seq"]) for r in saved) == sorted(
        (r["site_id"], int(r["team"]), int(r["order"])) for r in plan_rows)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["plan.csv", "left_out.csv"] + [f"team-{n}.{ext}" for n in range(1, 9) for ext in ("gpx", "pdf")])
    event.close()


def test_demo_plan_with_defaults_fits_and_starts_at_a_site(tmp_path, capsys):
    """A first-time organizer's plan: defaults, 120 minutes, the start given as a site's name."""
    event_dir = demo_copy(tmp_path)
    out = tmp_path / "first"
    assert main(["plan", "--event", str(event_dir), "--teams", "4", "--minutes", "120", "--start", "焼津神社",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "over the time budget" not in captured.err
    event = open_event(event_dir)
    from wikitown.walk.planner import load_plan

    plan = load_plan(event.store)
    event.close()
    assert plan.settings.start_label == "焼津神社"
    assert all(r.stops and r.total_min <= 120 and r.over_min == 0 for r in plan.routes)
    assert {x.reason for x in plan.left_out} >= {"over_budget", "not_outdoors", "intangible"}


def test_demo_event_selected_sites_and_default_start(tmp_path, capsys):
    event_dir = demo_copy(tmp_path)
    event = open_event(event_dir)
    from wikitown.gaps.collect import load_configured_opendata

    load_configured_opendata(event)
    with event.store.write() as conn:
        ids = [r[0] for r in conn.execute(sa.select(sites_table.c.id).where(sites_table.c.name.like("%寺%")))]
        conn.execute(sites_table.update().where(sites_table.c.id.in_(ids)).values(selected=True))
    event.close()
    out = tmp_path / "sel"
    assert main(["plan", "--event", str(event_dir), "--teams", "2", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"Planning the {len(ids)} selected sites" in captured.out
    assert sorted(r["site_id"] for r in read_plan_csv(out / "plan.csv")) == sorted(ids)


@pytest.mark.parametrize("argv,message", [
    (["plan", "--teams", "2", "--start", "34.8,138.3", "--out", "X"], "Give a SITES.csv file or --event DIR"),
    (["plan", "MISSING_COLS", "--teams", "2", "--start", "34.8,138.3", "--out", "X"],
     "required column(s) missing: site_id, lat, lon"),
    (["plan", "GOOD", "--teams", "0", "--start", "34.8,138.3", "--out", "X"], "teams must be between 1 and 200"),
    (["plan", "EMPTY", "--teams", "2", "--start", "34.8,138.3", "--out", "X"], "There are no sites to plan"),
])
def test_errors_are_one_clear_line(tmp_path, capsys, argv, message):
    (tmp_path / "missing.csv").write_text("name,address\n寺,焼津\n", encoding="utf-8")
    write_sites_csv(tmp_path / "good.csv", [dict(site_id="a", name="寺", lat="34.86", lon="138.32")])
    write_sites_csv(tmp_path / "empty.csv", [dict(site_id="a", name="寺")])
    paths = {"MISSING_COLS": "missing.csv", "GOOD": "good.csv", "EMPTY": "empty.csv", "X": "out"}
    argv = [str(tmp_path / paths[a]) if a in paths else a for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("wikitown: ") and message in err and "Traceback" not in err


def test_start_by_site_name_or_id_and_bad_start(tmp_path, capsys):
    src = tmp_path / "s.csv"
    write_sites_csv(src, [dict(site_id="a", name="常楽寺", lat="34.864", lon="138.323", coord_status="ok"),
                          dict(site_id="b", name="焼津神社", lat="34.8712", lon="138.3268", coord_status="ok")])
    for start in ("焼津神社", "b"):
        assert main(["plan", str(src), "--teams", "1", "--start", start, "--out", str(tmp_path / "o")]) == 0
        first = read_plan_csv(tmp_path / "o" / "plan.csv")[0]
        assert (first["site_id"], first["leg_m"]) == ("b", "0")
    capsys.readouterr()
    assert main(["plan", str(src), "--teams", "2", "--start", "north", "--out", "o"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wikitown: ") and "expected LAT,LON" in err and "Traceback" not in err
    assert main(["plan", str(src), "--teams", "2", "--start", "95,200", "--out", "o"]) == 1
    assert "95,200" in capsys.readouterr().err


def test_command_line_entry_point_in_japanese(tmp_path):
    src = tmp_path / "s.csv"
    write_sites_csv(src, [dict(site_id="a", name="常楽寺", lat="34.864", lon="138.323", coord_status="ok")])
    env = {"PATH": "/usr/bin:/bin", "WIKITOWN_LANG": "ja", "WIKITOWN_HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run([sys.executable, "-m", "wikitown", "plan", str(src), "--teams", "1", "--start",
                          "34.8669,138.3236", "--out", str(tmp_path / "o")], capture_output=True, text=True, env=env,
                         cwd=PROJECT_ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "チーム 1：1 か所" in run.stdout
    assert "参加コードがないため" in run.stderr
