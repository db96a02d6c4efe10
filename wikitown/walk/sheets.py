"""Printed team sheets: one A4 PDF per team.

All text uses one embedded Japanese TrueType font (:mod:`wikitown.core.pdffont`: IPAexGothic, a
subset of the glyphs used), so a PC or print shop without Japanese fonts prints the sheet as
seen, and the text still copies and searches as real text. Each sheet carries the team's name, its route
in order (name, reading, designation, address, what is needed there, arrival time), a sketch of
the route drawn from the coordinates (no map tiles offline: points, lines, a scale bar and
north), and a QR code of the participant join link.
"""

from __future__ import annotations

import io
import math
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
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from wikitown.core.fsutil import atomic_write_bytes
from wikitown.core.pdffont import FONT_NAME, register_japanese_font
from wikitown.core.i18n import t
from wikitown.walk.planner import Plan, TeamRoute, _local_xy

SANS = FONT_NAME  # every string on a sheet, Latin labels of the sketch too: all embedded
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
    register_japanese_font()


SERVED_URL_KEY = "serve.public_url"  # the address ``serve`` last printed, kept in the event's store


def join_url(base_url: str, slug: str, code: str) -> str:
    """The participant join link: ``<base_url>/phone/?event=<slug>&code=<code>`` (the phone page,
    which keeps captures offline)."""
    base = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
    return f"{base}/phone/?{urlencode({'event': slug, 'code': code})}"


def team_link(link: str, team: int) -> str:
    """A team sheet's join link: joining from it puts the participant in that team (the phone then
    shows the team's route and next stop)."""
    return f"{link}&{urlencode({'team': team})}" if link else ""


def public_base_url(event) -> str:
    """Where phones reach the app: the event's ``public_url`` (event.toml), else the address the
    running ``serve`` gave (``WIKITOWN_PUBLIC_URL``) or last printed, else localhost (which no
    phone can open: see :func:`is_local_url`)."""
    import os

    if event.config.public_url:
        return event.config.public_url
    if os.environ.get("WIKITOWN_PUBLIC_URL"):
        return os.environ["WIKITOWN_PUBLIC_URL"].rstrip("/")
    try:
        served = event.store.get_kv(SERVED_URL_KEY)
    except Exception:  # an unreadable store must not stop a sheet
        served = None
    return (served or DEFAULT_BASE_URL).rstrip("/")


def event_join_link(event) -> str:
    return join_url(public_base_url(event), event.slug, event.config.code)


def is_local_url(url: str) -> bool:
    """True for an address only this computer can open (localhost, 127.x, ::1): a sheet carrying
    it cannot be used by any phone."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url or DEFAULT_BASE_URL).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


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


_RADIUS = 5.5  # a stop's circle, in points
_PAD = 8 * mm


def _fit(bbox, width: float, height: float):
    """(scale in points per metre, function metres -> points) fitting ``bbox`` in the panel."""
    x0, y0, x1, y1 = bbox
    span_x, span_y = max(x1 - x0, 50.0), max(y1 - y0, 50.0)
    scale = min((width - 2 * _PAD) / span_x, (height - 2 * _PAD) / span_y)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return scale, lambda x, y: (width / 2 + (x - cx) * scale, height / 2 + (y - cy) * scale)


def _clip(p, q, width: float, height: float):
    """The part of segment p-q inside the panel (Liang-Barsky), or None."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for edge_p, edge_q in ((-dx, x0), (dx, width - x0), (-dy, y0), (dy, height - y0)):
        if edge_p == 0:
            if edge_q < 0:
                return None
            continue
        r = edge_q / edge_p
        if edge_p < 0:
            lo = max(lo, r)
        else:
            hi = min(hi, r)
        if lo > hi:
            return None
    return (x0 + lo * dx, y0 + lo * dy), (x0 + hi * dx, y0 + hi * dy)


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3,5": the label of stops drawn at one place."""
    out, run = [], [numbers[0]]
    for n in numbers[1:]:
        if n == run[-1] + 1:
            run.append(n)
        else:
            out.append(run)
            run = [n]
    out.append(run)
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in out)


def _labels(pts, seqs) -> list[tuple[float, float, str]]:
    """Stops drawn within 3 points of each other share one marker ("1-5"): several heritage items
    often sit at one temple, at the very same coordinates."""
    anchors: list[tuple[float, float, list[int]]] = []
    for (x, y), seq in zip(pts, seqs):
        for ax, ay, group in anchors:
            if math.dist((x, y), (ax, ay)) < 3:
                group.append(seq)
                break
        else:
            anchors.append((x, y, [seq]))
    return [(x, y, _ranges(sorted(group))) for x, y, group in anchors]


def _marker(drawing: Drawing, x: float, y: float, label: str, colour) -> None:
    half = max(_RADIUS, pdfmetrics.stringWidth(label, SANS, 6.5) / 2 + 2)
    if half <= _RADIUS:
        drawing.add(Circle(x, y, _RADIUS, fillColor=colors.white, strokeColor=colour, strokeWidth=1))
    else:
        drawing.add(Rect(x - half, y - _RADIUS, 2 * half, 2 * _RADIUS, rx=_RADIUS, ry=_RADIUS,
                         fillColor=colors.white, strokeColor=colour, strokeWidth=1))
    drawing.add(String(x, y - 2.5, label, fontName=SANS, fontSize=6.5, textAnchor="middle"))


def _panel(route: TeamRoute, xy, closed: bool, bbox, width: float, height: float, box=None) -> Drawing:
    """One panel of the sketch: the legs clipped to the panel, start, numbered stops, scale, north.
    ``box`` (a bbox in metres) is outlined: the area the detail panel shows."""
    drawing = Drawing(width, height, initialFontName=SANS)
    drawing.add(Rect(0, 0, width, height, strokeColor=colors.grey, fillColor=None, strokeWidth=0.5))
    scale, to_pt = _fit(bbox, width, height)
    pts = [to_pt(x, y) for x, y in xy]
    colour = colors.HexColor(team_colour(route.team))
    order = list(range(len(pts))) + ([0] if closed and len(pts) > 1 else [])
    for i, j in zip(order, order[1:]):
        seg = _clip(pts[i], pts[j], width, height)
        if seg:
            drawing.add(Line(*seg[0], *seg[1], strokeColor=colour, strokeWidth=1.2))
    if box is not None:
        (bx0, by0), (bx1, by1) = to_pt(box[0], box[1]), to_pt(box[2], box[3])
        drawing.add(Rect(bx0, by0, bx1 - bx0, by1 - by0, strokeColor=colors.black, fillColor=None,
                         strokeWidth=0.6, strokeDashArray=[2, 2]))

    def inside(x, y):
        return 0 <= x <= width and 0 <= y <= height

    sx, sy = pts[0]
    if inside(sx, sy):
        drawing.add(Rect(sx - 4, sy - 4, 8, 8, fillColor=colors.black, strokeColor=colors.white))
        drawing.add(String(sx + 6, sy - 3, "S", fontName=SANS, fontSize=9))
    for x, y, label in _labels(pts[1:], [stop.seq for stop in route.stops]):
        if inside(x, y):
            _marker(drawing, x, y, label, colour)
    # scale bar: the largest 1-2-5 length that fits in a quarter of the width
    metres = (width / 4) / scale
    nice = max(v for v in (10 * 10 ** e * f for e in range(6) for f in (1, 2, 5)) if v <= max(metres, 10))
    drawing.add(Rect(3, 3, nice * scale + 6, 15, fillColor=colors.white, strokeColor=None))
    drawing.add(Line(6, 6, 6 + nice * scale, 6, strokeWidth=1.5))
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    drawing.add(String(6, 9, label, fontName=SANS, fontSize=7))
    drawing.add(Line(width - 10, height - 22, width - 10, height - 8, strokeWidth=1.2))
    drawing.add(PolyLine([width - 13, height - 12, width - 10, height - 7, width - 7, height - 12],
                         strokeWidth=1.2))
    drawing.add(String(width - 10, height - 31, "N", fontName=SANS, fontSize=8, textAnchor="middle"))
    return drawing


def _crowded(pts) -> list[int]:
    """Indices of the largest group of stops whose circles touch (a chain of touching circles)."""
    n = len(pts)
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if math.dist(pts[i], pts[j]) < 2 * _RADIUS + 1:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    largest = max(groups.values(), key=len, default=[])
    return largest if len(largest) > 1 else []


def _members(label: str) -> list[int]:
    """The inverse of :func:`_ranges`."""
    out = []
    for part in label.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def route_sketch(route: TeamRoute, plan: Plan, width: float = SKETCH_W, height: float = SKETCH_H) -> Drawing:
    """The route drawn from coordinates: start (square), numbered stops, legs, scale bar, north.

    When stops crowd together at the scale of the whole route, the sketch has two panels: the
    whole route (with the crowded area outlined) and that area enlarged."""
    _register_fonts()
    s = plan.settings
    lats = [s.start_lat] + [x.site.lat for x in route.stops]
    lons = [s.start_lon] + [x.site.lon for x in route.stops]
    xy = [(float(x), float(y)) for x, y in _local_xy(lats, lons, s.start_lat, s.start_lon)]
    closed = s.return_to_start
    whole = (min(x for x, _ in xy), min(y for _, y in xy), max(x for x, _ in xy), max(y for _, y in xy))
    _, to_pt = _fit(whole, width, height)
    # crowding is judged between markers: stops at one place share one marker anyway
    pts = [to_pt(x, y) for x, y in xy[1:]]
    anchors = _labels(pts, list(range(len(pts))))
    crowded = _crowded([(x, y) for x, y, _ in anchors])
    members = [i for a in crowded for i in _members(anchors[a][2])]
    cx = [xy[i + 1][0] for i in members]
    cy = [xy[i + 1][1] for i in members]
    if not crowded or max(max(cx) - min(cx), max(cy) - min(cy)) < 20:
        return _panel(route, xy, closed, whole, width, height)
    half = (width - 3 * mm) / 2
    margin = max(max(cx) - min(cx), max(cy) - min(cy), 100.0) * 0.12
    detail = (min(cx) - margin, min(cy) - margin, max(cx) + margin, max(cy) + margin)
    drawing = Drawing(width, height, initialFontName=SANS)
    left = _panel(route, xy, closed, whole, half, height, box=detail)
    right = _panel(route, xy, closed, detail, half, height)
    right.translate(half + 3 * mm, 0)
    drawing.add(left)
    drawing.add(right)
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
    start_key = "plan.sheet.start_named" if s.start_label else "plan.sheet.start"
    header.append(Paragraph(escape(tr(start_key, lat=f"{s.start_lat:.5f}", lon=f"{s.start_lon:.5f}",
                                      label=s.start_label)
                                   + " " + tr("plan.sheet.return" if s.return_to_start else "plan.sheet.no_return")),
                            small))
    if route.over_min > 0:
        header.append(Paragraph(escape(tr("plan.warning.over", team=route.team,
                                          minutes=round(route.over_min))), warn))
    if join_link:
        header.append(Paragraph(escape(tr("plan.sheet.join", code=code)), small))
    header_table = Table([[h] for h in header], colWidths=[text_w], hAlign="LEFT")
    header_table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), ("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
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
        ("FONTNAME", (0, 0), (-1, -1), SANS),  # the table's own default is Helvetica (not embedded)
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
                            author="wikitown", lang=lang,
                            # the canvas starts in Helvetica unless told otherwise: named, never embedded
                            initialFontName=SANS)
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
    from wikitown.walk.gpx import team_gpx
    from wikitown.walk.planner import left_out_csv_bytes, plan_csv_bytes

    files = {"plan.csv": plan_csv_bytes(plan)}
    if plan.left_out:
        files["left_out.csv"] = left_out_csv_bytes(plan)
    for route in plan.routes:
        if route.stops:
            files[f"team-{route.team}.gpx"] = team_gpx(route, plan, event_name=event_name, lang=lang).encode("utf-8")
            files[f"team-{route.team}.pdf"] = team_sheet_pdf(route, plan, event_name=event_name,
                                                            join_link=team_link(join_link, route.team), code=code,
                                                            lang=lang)
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
