"""Printed team sheets: one A4 PDF per team.

Japanese text uses reportlab's built-in Japanese CID fonts (``HeiseiKakuGo-W5`` for sans,
``HeiseiMin-W3`` for serif): nothing to download, and PDF viewers (and poppler's pdftotext,
with poppler-data) map them to real Unicode text. Each sheet carries the team's name, its route
in order (name, reading, designation, address, what is needed there, arrival time), a sketch of
the route drawn from the coordinates (no map tiles offline: points, lines, a scale bar and
north), and a QR code of the participant join link.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import qrcode
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from wikitown.fsutil import atomic_write_bytes
from wikitown.i18n import t
from wikitown.plan import Plan, TeamRoute, _local_xy

SANS = "HeiseiKakuGo-W5"
SERIF = "HeiseiMin-W3"
DEFAULT_BASE_URL = "http://localhost:8501"
PAGE_W, PAGE_H = A4
MARGIN = 14 * mm
# The QR code sits at a fixed place on page 1 (top right), so a test can find and read it.
QR_SIZE = 32 * mm
QR_X = PAGE_W - MARGIN - QR_SIZE
QR_Y = PAGE_H - MARGIN - QR_SIZE
SKETCH_W, SKETCH_H = PAGE_W - 2 * MARGIN, 92 * mm
TEAM_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
                "#bcbd22", "#7f7f7f"]


def _register_fonts() -> None:
    for name in (SANS, SERIF):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(name))


def join_url(base_url: str, slug: str, code: str) -> str:
    """The participant join link: ``<base_url>/participant?event=<slug>&code=<code>``."""
    base = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
    return f"{base}/participant?{urlencode({'event': slug, 'code': code})}"


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR modules for ``data`` (error correction M, no quiet zone; the sheet leaves white
    space round it)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def team_colour(team: int) -> str:
    return TEAM_COLOURS[(team - 1) % len(TEAM_COLOURS)]


def _hm(minutes: float, lang: str) -> str:
    minutes = int(round(minutes))
    return t("plan.duration", lang, h=minutes // 60, m=f"{minutes % 60:02d}")


def route_sketch(route: TeamRoute, plan: Plan, width: float = SKETCH_W, height: float = SKETCH_H) -> Drawing:
    """The route drawn from coordinates: start (square), numbered stops, legs, scale bar, north."""
    s = plan.settings
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, strokeColor=colors.grey, fillColor=None, strokeWidth=0.5))
    lats = [s.start_lat] + [x.site.lat for x in route.stops]
    lons = [s.start_lon] + [x.site.lon for x in route.stops]
    xy = _local_xy(lats, lons, s.start_lat, s.start_lon)
    pad = 8 * mm
    span_x = max(float(xy[:, 0].max() - xy[:, 0].min()), 50.0)
    span_y = max(float(xy[:, 1].max() - xy[:, 1].min()), 50.0)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)  # points per metre
    cx = (xy[:, 0].max() + xy[:, 0].min()) / 2
    cy = (xy[:, 1].max() + xy[:, 1].min()) / 2
    pts = [(width / 2 + (x - cx) * scale, height / 2 + (y - cy) * scale) for x, y in xy]
    colour = colors.HexColor(team_colour(route.team))
    line = [c for p in pts for c in p]
    if s.return_to_start and route.stops:
        line += list(pts[0])
    if len(pts) > 1:
        drawing.add(PolyLine(line, strokeColor=colour, strokeWidth=1.2))
    sx, sy = pts[0]
    drawing.add(Rect(sx - 4, sy - 4, 8, 8, fillColor=colors.black, strokeColor=colors.white))
    drawing.add(String(sx + 6, sy - 3, "S", fontName="Helvetica-Bold", fontSize=9))
    for stop, (x, y) in zip(route.stops, pts[1:]):
        drawing.add(Circle(x, y, 5.5, fillColor=colors.white, strokeColor=colour, strokeWidth=1))
        drawing.add(String(x, y - 2.5, str(stop.seq), fontName="Helvetica-Bold", fontSize=6.5,
                           textAnchor="middle"))
    # scale bar: the largest 1-2-5 length that fits in a quarter of the width
    metres = (width / 4) / scale
    nice = max(v for v in (10 * 10 ** e * f for e in range(6) for f in (1, 2, 5)) if v <= max(metres, 10))
    bar = nice * scale
    drawing.add(Line(6, 6, 6 + bar, 6, strokeWidth=1.5))
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    drawing.add(String(6, 10, label, fontName="Helvetica", fontSize=7))
    drawing.add(Line(width - 10, height - 22, width - 10, height - 8, strokeWidth=1.2))
    drawing.add(PolyLine([width - 13, height - 12, width - 10, height - 7, width - 7, height - 12],
                         strokeWidth=1.2))
    drawing.add(String(width - 10, height - 31, "N", fontName="Helvetica-Bold", fontSize=8, textAnchor="middle"))
    return drawing


def team_sheet_pdf(route: TeamRoute, plan: Plan, *, event_name: str = "", join_link: str = "", code: str = "",
                   lang: str = "ja") -> bytes:
    """One team's sheet as PDF bytes."""
    _register_fonts()
    tr = lambda key, **p: t(key, lang, **p)  # noqa: E731
    base = ParagraphStyle("base", fontName=SANS, fontSize=8.5, leading=11, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=9)
    title = ParagraphStyle("title", parent=base, fontSize=20, leading=24)
    head = ParagraphStyle("head", parent=base, fontSize=10, leading=13)
    warn = ParagraphStyle("warn", parent=head, textColor=colors.HexColor("#b00020"))
    s = plan.settings
    text_w = PAGE_W - 2 * MARGIN - (QR_SIZE + 6 * mm if join_link else 0)

    story = []
    header = [Paragraph(escape(tr("plan.team_name", team=route.team)), title),
              Paragraph(escape(event_name), head)]
    summary = tr("plan.sheet.summary", sites=len(route.stops), km=f"{route.walk_m / 1000:.1f}",
                 duration=_hm(route.total_min, lang))
    if s.minutes:
        summary += " " + tr("plan.sheet.budget", duration=_hm(s.minutes, lang))
    header.append(Paragraph(escape(summary), head))
    header.append(Paragraph(escape(tr("plan.sheet.start", lat=f"{s.start_lat:.5f}", lon=f"{s.start_lon:.5f}")
                                   + " " + tr("plan.sheet.return" if s.return_to_start else "plan.sheet.no_return")),
                            small))
    if route.over_min > 0:
        header.append(Paragraph(escape(tr("plan.warning.over", team=route.team,
                                          minutes=round(route.over_min))), warn))
    if join_link:
        header.append(Paragraph(escape(tr("plan.sheet.join", code=code)), small))
    header_table = Table([[h] for h in header], colWidths=[text_w], hAlign="LEFT")
    header_table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                                      ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [header_table, Spacer(1, 4 * mm)]
    if route.stops:
        story += [route_sketch(route, plan), Spacer(1, 4 * mm)]
    cols = [tr("plan.sheet.col.seq"), tr("plan.sheet.col.arrival"), tr("plan.sheet.col.name"),
            tr("plan.sheet.col.designation"), tr("plan.sheet.col.address"), tr("plan.sheet.col.needs"),
            tr("plan.sheet.col.done")]
    data = [[Paragraph(escape(c), small) for c in cols]]
    for stop in route.stops:
        site = stop.site
        name = f"<b>{escape(site.name)}</b>"
        if site.name_kana:
            name += f"<br/><font size=6.5>{escape(site.name_kana)}</font>"
        data.append([Paragraph(str(stop.seq), base), Paragraph(_hm(stop.arrival_min, lang), base),
                     Paragraph(name, base), Paragraph(escape(site.designation), small),
                     Paragraph(escape(site.address), small),
                     Paragraph(escape(tr(f"plan.needs.{'+'.join(site.needs) or 'none'}")), base),
                     Paragraph("□", base)])
    if not route.stops:
        data.append([Paragraph(escape(tr("plan.sheet.empty")), base), "", "", "", "", "", ""])
    widths = [8 * mm, 14 * mm, 52 * mm, 30 * mm, 46 * mm, 24 * mm, 8 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    story.append(table)
    if s.return_to_start and route.stops:
        story.append(Paragraph(escape(tr("plan.sheet.back", m=round(route.return_m),
                                         duration=_hm(route.total_min, lang))), small))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(escape(tr("plan.sheet.footer", detour=f"{s.detour:g}", speed=f"{s.speed_kmh:g}",
                                     dwell=f"{s.minutes_per_site:g}")), small))

    matrix = qr_matrix(join_link) if join_link else None

    def first_page(canvas, _doc):
        _footer(canvas, route, lang)
        if matrix:
            _draw_qr(canvas, matrix, QR_X, QR_Y, QR_SIZE)
            canvas.setFont(SANS, 6.5)
            canvas.drawCentredString(QR_X + QR_SIZE / 2, QR_Y - 8, tr("plan.sheet.qr"))

    def later_pages(canvas, _doc):
        _footer(canvas, route, lang)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=f"{event_name} {tr('plan.team_name', team=route.team)}",
                            author="wikitown", lang=lang)
    doc.build(story, onFirstPage=first_page, onLaterPages=later_pages)
    return buf.getvalue()


def _footer(canvas, route: TeamRoute, lang: str) -> None:
    canvas.saveState()
    canvas.setFont(SANS, 7)
    canvas.drawRightString(PAGE_W - MARGIN, MARGIN / 2,
                           t("plan.sheet.page", lang, team=route.team, page=canvas.getPageNumber()))
    canvas.restoreState()


def _draw_qr(canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    n = len(matrix)
    cell = size / n
    canvas.saveState()
    canvas.setFillColor(colors.black)
    canvas.setStrokeColor(colors.black)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                # a hair wider than the cell so neighbouring modules leave no white seams
                canvas.rect(x + c * cell, y + size - (r + 1) * cell, cell + 0.05, cell + 0.05, stroke=0, fill=1)
    canvas.restoreState()


def plan_bundle(plan: Plan, *, event_name: str = "", join_link: str = "", code: str = "",
                lang: str = "ja") -> dict[str, bytes]:
    """Every file of a plan by name: ``plan.csv``, ``left_out.csv`` (when sites were left out),
    and ``team-N.gpx`` / ``team-N.pdf`` for each team with sites. The command line writes them
    to a folder, the app offers them as downloads."""
    from wikitown.gpx import team_gpx
    from wikitown.plan import left_out_csv_bytes, plan_csv_bytes

    files = {"plan.csv": plan_csv_bytes(plan)}
    if plan.left_out:
        files["left_out.csv"] = left_out_csv_bytes(plan)
    for route in plan.routes:
        if route.stops:
            files[f"team-{route.team}.gpx"] = team_gpx(route, plan, event_name=event_name, lang=lang).encode("utf-8")
            files[f"team-{route.team}.pdf"] = team_sheet_pdf(route, plan, event_name=event_name,
                                                            join_link=join_link, code=code, lang=lang)
    return files


def write_bundle(files: dict[str, bytes], out_dir: Path) -> list[Path]:
    """Write :func:`plan_bundle` files into ``out_dir`` (each atomically)."""
    paths = []
    for name, data in files.items():
        paths.append(atomic_write_bytes(Path(out_dir) / name, data))
    return paths


def zip_bundle(files: dict[str, bytes], folder: str = "plan") -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"{folder}/{name}", data)
    return buf.getvalue()
