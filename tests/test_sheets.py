"""Team sheets: A4 PDFs whose Japanese text extracts as real text (pdftotext), with the route
table, a sketch and a QR code whose printed modules encode the participant join link."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import qrcode
from PIL import Image

from tests.harness.requirements import need
from wikitown.walk import planner as P
from wikitown.walk import sheets
from wikitown.walk.planner import PlanSettings, PlanSite

YAIZU = (34.8669, 138.3236)
SITES = [
    PlanSite("a", "常楽寺", 34.8640, 138.3230, name_kana="じょうらくじ", designation="市指定有形文化財",
             address="焼津市西小川1丁目", needs=("photo", "article")),
    PlanSite("b", "焼津神社", 34.8700, 138.3190, name_kana="やいづじんじゃ", address="焼津市焼津2丁目",
             needs=("article",)),
    PlanSite("c", "髙﨑家住宅 <b>&amp;</b>", 34.8690, 138.3270, name_kana="たかさきけじゅうたく", needs=()),
]
URL = "http://192.168.1.20:8501/phone/?event=demo-yaizu&code=YAIZU-DEMO"


def pdftotext(path: Path) -> str:
    exe = need("pdftotext")
    # The sheets embed their Japanese font with a ToUnicode map (tests/test_pdf_fonts.py): no
    # language pack is needed to read them.
    out = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    assert b"Missing language pack" not in out.stderr
    return out.stdout.decode("utf-8")


def make(tmp_path, sites=SITES, back=True, minutes=30, lang="ja", link=URL):
    plan = P.make_plan(sites, PlanSettings(*YAIZU, teams=1, minutes=minutes, return_to_start=back))
    data = sheets.team_sheet_pdf(plan.routes[0], plan, event_name="焼津ウィキペディアタウン", join_link=link,
                                 code="YAIZU-DEMO", lang=lang)
    path = tmp_path / f"sheet-{lang}.pdf"
    path.write_bytes(data)
    return plan, path


def test_join_url():
    assert sheets.join_url("http://192.168.1.20:8501/", "demo-yaizu", "YAIZU-DEMO") == URL
    assert sheets.join_url("", "a b", "X&Y") == "http://localhost:8501/phone/?event=a+b&code=X%26Y"


def test_sheet_text_is_real_japanese(tmp_path):
    plan, path = make(tmp_path)
    assert path.read_bytes().startswith(b"%PDF")
    text = pdftotext(path)
    for needle in ("チーム 1", "焼津ウィキペディアタウン", "常楽寺", "じょうらくじ", "焼津神社", "やいづじんじゃ",
                   "髙﨑家住宅", "市指定有形文化財", "焼津市西小川1丁目", "写真・記事", "確認のみ", "参加用リンク",
                   "YAIZU-DEMO", "最後に出発地点へ戻ります"):
        assert needle in text, needle
    assert "<b>&amp;</b>" in text  # a name's markup is printed as text, not interpreted
    route = plan.routes[0]
    # the route order on the sheet is the plan's order
    positions = [text.index(s.site.name) for s in route.stops]
    assert positions == sorted(positions)
    # the time budget is exceeded: the sheet says by how much
    assert route.over_min > 0
    assert f"予定時間を {round(route.over_min)} 分超えています" in text


def test_sheet_in_english(tmp_path):
    _, path = make(tmp_path, lang="en", minutes=None, back=False)
    text = pdftotext(path)
    assert "Team 1" in text and "photo + article" in text and "The walk ends at the last site." in text
    assert "常楽寺" in text  # names stay as they are


def test_long_route_flows_onto_more_pages(tmp_path):
    many = [PlanSite(f"m{i}", f"文化財その{i}号", 34.86 + i * 0.0007, 138.31 + (i % 7) * 0.001,
                     name_kana=f"ぶんかざいそのごう{i}", address=f"焼津市本町{i}丁目") for i in range(45)]
    _, path = make(tmp_path, sites=many)
    info = subprocess.run([need("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    assert "A4" in info or "595" in info
    text = pdftotext(path)
    assert all(f"文化財その{i}号" in text for i in range(45))


def test_qr_code_printed_on_the_sheet_encodes_the_join_link(tmp_path):
    exe = need("pdftoppm")
    _, path = make(tmp_path)
    dpi = 200
    subprocess.run([exe, "-r", str(dpi), "-f", "1", "-l", "1", "-png", "-gray", str(path), str(tmp_path / "p")],
                   check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    # The QR code this URL must give, built here independently of wikitown.walk.sheets.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(URL)
    qr.make(fit=True)
    expected = qr.get_matrix()
    n = len(expected)
    scale = dpi / 72
    cell = sheets.QR_SIZE / n
    top = sheets.PAGE_H - sheets.QR_Y - sheets.QR_SIZE
    printed = [[image.getpixel((int((sheets.QR_X + (c + 0.5) * cell) * scale),
                                int((top + (r + 0.5) * cell) * scale))) < 128 for c in range(n)] for r in range(n)]
    assert printed == expected
    # the quiet zone round it is white
    for dx in (-2, n + 1):
        x = int((sheets.QR_X + (dx + 0.5) * cell) * scale)
        assert all(image.getpixel((x, int((top + (r + 0.5) * cell) * scale))) > 200 for r in range(n))
    zbar = shutil.which("zbarimg")
    if zbar:  # a real decoder, when the machine has one
        out = subprocess.run([zbar, "--raw", "-q", str(next(tmp_path.glob("p*.png")))], capture_output=True,
                             text=True)
        assert out.stdout.strip() == URL


def test_no_qr_without_a_join_link(tmp_path):
    _, path = make(tmp_path, link="")
    text = pdftotext(path)
    assert "参加用リンク" not in text and "常楽寺" in text


def test_bundle_has_every_file(tmp_path):
    sites = SITES + [PlanSite("z", "座標なし", None, None)]
    plan = P.make_plan(sites, PlanSettings(*YAIZU, teams=2))
    files = sheets.plan_bundle(plan, event_name="E", join_link=URL, code="YAIZU-DEMO")
    assert sorted(files) == ["left_out.csv", "plan.csv", "team-1.gpx", "team-1.pdf", "team-2.gpx", "team-2.pdf"]
    assert files["left_out.csv"].decode().splitlines()[1] == "z,座標なし,no_coords,"
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(sheets.zip_bundle(files, "demo-plan"))) as zf:
        assert sorted(zf.namelist()) == sorted(f"demo-plan/{n}" for n in files)
        assert zf.read("demo-plan/team-1.pdf") == files["team-1.pdf"]


def _panels(drawing):
    from reportlab.graphics.shapes import Drawing

    return [c for c in drawing.contents if isinstance(c, Drawing)]


def _strings(drawing):
    from reportlab.graphics.shapes import Group, String

    out = []
    for c in drawing.contents:
        if isinstance(c, String):
            out.append(c.text)
        elif isinstance(c, Group):
            out += _strings(c)
    return out


def test_sketch_shares_a_marker_for_one_place_and_enlarges_a_crowded_area(tmp_path):
    temple = (34.8800, 138.3300)
    same_place = [PlanSite(f"t{i}", f"寺宝{i}", *temple) for i in range(3)]  # three items at one temple
    spread = [PlanSite("far", "遠い碑", 34.8300, 138.2800)]
    plan = P.make_plan(same_place + spread, PlanSettings(*YAIZU, teams=1))
    drawing = sheets.route_sketch(plan.routes[0], plan)
    assert _panels(drawing) == []  # one place is one marker, not a crowd: no detail panel
    labels = _strings(drawing)
    assert sum(1 for x in labels if "-" in x or "," in x) == 1
    assert any(x in ("1-3", "2-4") for x in labels), labels
    # a cluster of distinct but close sites, far from the rest: a second, enlarged panel
    cluster = [PlanSite(f"c{i}", f"町家{i}", 34.8800 + i * 0.0004, 138.3300 + (i % 2) * 0.0004) for i in range(6)]
    plan = P.make_plan(cluster + spread, PlanSettings(*YAIZU, teams=1))
    drawing = sheets.route_sketch(plan.routes[0], plan)
    whole, detail = _panels(drawing)
    assert sorted(x for x in _strings(detail) if x.isdigit()) == sorted(
        str(s.seq) for s in plan.routes[0].stops if s.site.id.startswith("c"))
    assert "km" in " ".join(_strings(whole)) and " m" in " ".join(_strings(detail))


@pytest.mark.parametrize("numbers,label", [([1], "1"), ([1, 2], "1,2"), ([1, 2, 3, 5], "1-3,5"), ([2, 4, 5, 6], "2,4-6")])
def test_marker_labels(numbers, label):
    assert sheets._ranges(numbers) == label
    assert sheets._members(label) == numbers


def test_legs_are_clipped_to_the_panel():
    assert sheets._clip((-10, 5), (10, 5), 5, 10) == ((0, 5), (5, 5))
    assert sheets._clip((-10, -10), (-1, 20), 5, 10) is None
    assert sheets._clip((1, 1), (2, 2), 5, 10) == ((1, 1), (2, 2))
