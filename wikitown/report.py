"""The event report: what the day achieved, per event and per team.

Figures come from the store; once things are published, the wiki itself is
asked which pages and files exist and how big they are (batched reads), so
the report shows what the wiki confirms, not only what wikitown believes.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

from wikitown.core.errors import WikitownError
from wikitown.core.csvout import csv_bytes, csv_text, dict_rows
from wikitown.core.fsutil import atomic_write_bytes
from wikitown.core.i18n import translator
from wikitown.core.markdown import markdown_text
from wikitown.store.db import (draft_bases, drafts, finds, media, participants, plan_assignments, publish_journal,
                               source_sites, sources)
from wikitown.store.sites import site_points, table_rows
from wikitown.core.wikitext import escape

NO_TEAM = 0  # sites not in any team's route


@dataclass
class TeamFigures:
    team: int
    sites_planned: int = 0
    sites_visited: int = 0  # at least one find attached
    photos_collected: int = 0
    photos_published: int = 0
    drafts_written: int = 0
    drafts_approved: int = 0  # approved or published
    drafts_published: int = 0  # put on the wiki as drafts (Draft namespace, user sub-pages): not articles
    articles_created: int = 0  # new pages in the main namespace
    articles_improved: int = 0  # edits of articles that existed


@dataclass
class WikiConfirmation:
    checked: bool = False
    error: str = ""
    files_found: int = 0
    files_missing: list[str] = field(default_factory=list)
    files_bytes: int = 0
    pages_found: int = 0
    pages_missing: list[str] = field(default_factory=list)
    pages_bytes: int = 0
    pages_by_namespace: dict[int, int] = field(default_factory=dict)  # as the wiki numbers them


@dataclass
class SiteLine:
    site_id: str
    name: str
    team: int
    finds: int
    photos: int
    photos_published: int
    draft_state: str
    draft_title: str
    lat: float | None
    lon: float | None


@dataclass
class Report:
    event_name: str
    total: TeamFigures
    teams: list[TeamFigures]
    participants: list[str]  # credits, as each participant chose
    sources_used: list[dict]  # {title, authors, kind, isbn, sites: [names]}
    sites: list[SiteLine]
    files: list[str]  # published file titles
    pages: list[str]  # published page titles
    finds_points: list[tuple[float, float, str]]  # (lat, lon, site name or "")
    wiki: WikiConfirmation
    pages_by_namespace: dict[int, int] = field(default_factory=dict)  # published pages, from their titles


# Namespace numbers MediaWiki gives every wiki (and the Draft namespace of the wikis that have one), with
# the English and Japanese names a title may start with. When the wiki is asked, its own answer wins.
NAMESPACE_PREFIXES = {"user": 2, "利用者": 2, "wikipedia": 4, "project": 4, "file": 6, "image": 6, "ファイル": 6,
                      "画像": 6, "template": 10, "テンプレート": 10, "help": 12, "ヘルプ": 12, "category": 14,
                      "カテゴリ": 14, "portal": 100, "ポータル": 100, "draft": 118, "下書き": 118}
DRAFT_NAMESPACES = {2, 118}


def namespace_of(title: str) -> int:
    """The namespace number of ``title`` from its prefix (0, the articles, when it has none)."""
    prefix, sep, _rest = (title or "").partition(":")
    return NAMESPACE_PREFIXES.get(prefix.strip().casefold(), 0) if sep else 0


def _published_targets(conn) -> tuple[dict[str, str], list[str]]:
    """{media sha1: file title} for photos uploaded or linked, and published page titles."""
    files: dict[str, str] = {}
    pages: list[str] = []
    rows = conn.execute(sa.select(publish_journal).where(publish_journal.c.status == "done")).mappings()
    for row in rows:
        payload = row["payload"] or {}
        if row["kind"] in ("upload", "link"):
            # The journal names the photo by its original bytes (media_sha1); the uploaded JPEG has its own.
            title = row["target"] if row["target"].startswith("File:") else f"File:{row['target']}"
            files[payload.get("media_sha1") or payload.get("sha1") or row["action_key"]] = title
        elif row["kind"] == "edit":
            pages.append(row["target"])
    return files, pages


def build_report(event, *, confirm_with_wiki: bool = False, wiki_api=None, commons_api=None) -> Report:
    """Gather the figures. ``confirm_with_wiki`` asks the wikis (``mwapi.MediaWikiAPI``
    instances, or the event's configured endpoints) which published titles exist."""
    store = event.store
    with store.read() as conn:
        site_rows = {r["id"]: r for r in table_rows(conn)}
        team_of = {r.site_id: r.team for r in conn.execute(sa.select(plan_assignments))}
        find_rows = conn.execute(sa.select(finds)).mappings().all()
        media_rows = conn.execute(sa.select(media.c.sha1, media.c.find_id)).all()
        draft_rows = conn.execute(sa.select(drafts)).mappings().all()
        edited = {r.draft_id for r in conn.execute(sa.select(draft_bases.c.draft_id))}
        people = conn.execute(sa.select(participants.c.id, participants.c.display_name,
                                        participants.c.wiki_user)).all()
        used = conn.execute(sa.select(sources, source_sites.c.site_id).join(
            source_sites, source_sites.c.source_id == sources.c.id)).mappings().all()
        files_by_sha, pages = _published_targets(conn)

    site_of_find = {f["id"]: f["site_id"] for f in find_rows}
    finds_per_site = Counter(f["site_id"] for f in find_rows if f["site_id"])
    photos_per_site: Counter = Counter()
    published_per_site: Counter = Counter()
    for sha1, find_id in media_rows:
        site_id = site_of_find.get(find_id)
        photos_per_site[site_id] += 1
        if sha1 in files_by_sha:
            published_per_site[site_id] += 1
    draft_by_site = {d["site_id"]: d for d in draft_rows}

    teams: dict[int, TeamFigures] = {}
    total = TeamFigures(team=-1)

    def bump(site_id, **deltas):
        team = team_of.get(site_id, NO_TEAM)
        fig = teams.setdefault(team, TeamFigures(team=team))
        for name, delta in deltas.items():
            setattr(fig, name, getattr(fig, name) + delta)
            setattr(total, name, getattr(total, name) + delta)

    for site_id in team_of:
        bump(site_id, sites_planned=1)
    for site_id in set(finds_per_site) | set(photos_per_site) | set(draft_by_site):
        draft = draft_by_site.get(site_id)
        published = bool(draft) and draft["state"] == "published"
        # What a published draft became depends on where it went: a page in the Draft namespace (or a
        # user sub-page) is still a draft; in the main namespace, a new article or an improved one.
        in_main = published and namespace_of(draft["published_title"] or draft["title"]) not in DRAFT_NAMESPACES
        bump(site_id, sites_visited=int(finds_per_site[site_id] > 0),
             photos_collected=photos_per_site[site_id], photos_published=published_per_site[site_id],
             drafts_written=int(draft is not None),
             drafts_approved=int(bool(draft) and draft["state"] in ("approved", "published")),
             drafts_published=int(published and not in_main),
             articles_created=int(in_main and draft["id"] not in edited),
             articles_improved=int(in_main and draft["id"] in edited))

    by_source: dict[int, dict] = {}
    for row in used:
        entry = by_source.setdefault(row["id"], {"title": row["title"], "authors": row["authors"],
                                                 "kind": row["kind"], "isbn": row["isbn"], "sites": []})
        if row["site_id"] in site_rows:
            entry["sites"].append(site_rows[row["site_id"]]["name"])

    lines = []
    for site_id in sorted(set(team_of) | set(finds_per_site) | set(draft_by_site) - {None},
                          key=lambda s: (team_of.get(s, NO_TEAM), site_rows.get(s, {}).get("name", ""))):
        if site_id not in site_rows:
            continue
        s = site_rows[site_id]
        d = draft_by_site.get(site_id)
        lines.append(SiteLine(site_id, s["name"], team_of.get(site_id, NO_TEAM), finds_per_site[site_id],
                              photos_per_site[site_id], published_per_site[site_id], d["state"] if d else "",
                              (d["published_title"] or d["title"]) if d else "", s["lat"], s["lon"]))

    points = [(f["lat"], f["lon"], site_rows.get(f["site_id"], {}).get("name", "")) for f in find_rows
              if f["lat"] is not None and f["lon"] is not None]
    credits = sorted({(p.wiki_user and f"{p.display_name} ({p.wiki_user})") or p.display_name for p in people
                      if p.display_name})
    report = Report(event.name, total, [teams[k] for k in sorted(teams)], credits, list(by_source.values()), lines,
                    sorted(set(files_by_sha.values())), sorted(set(pages)), points, WikiConfirmation(),
                    dict(sorted(Counter(namespace_of(p) for p in set(pages)).items())))
    if confirm_with_wiki:
        report.wiki = confirm(report, event, wiki_api=wiki_api, commons_api=commons_api)
    return report


def confirm(report: Report, event, *, wiki_api=None, commons_api=None) -> WikiConfirmation:
    """Ask the wikis which published files and pages exist, and their sizes (50 titles a request)."""
    from wikitown.net.mwapi import MediaWikiAPI

    result = WikiConfirmation()
    client = event.http_client(cached=False)
    wiki_api = wiki_api or MediaWikiAPI(event.service("wiki_api"), client)
    commons_api = commons_api or MediaWikiAPI(event.service("commons_api"), client, service="commons_api")
    try:
        if report.files:
            found = commons_api.pages_by_titles(report.files, prop="info|imageinfo", iiprop="size")
            for title, page in found.items():
                if page.get("missing") or page.get("invalid"):
                    result.files_missing.append(title)
                else:
                    result.files_found += 1
                    info = (page.get("imageinfo") or [{}])[0]
                    result.files_bytes += int(info.get("size") or 0)
        if report.pages:
            found = wiki_api.pages_by_titles(report.pages, prop="info")
            for title, page in found.items():
                if page.get("missing") or page.get("invalid"):
                    result.pages_missing.append(title)
                else:
                    result.pages_found += 1
                    result.pages_bytes += int(page.get("length") or 0)
                    ns = int(page.get("ns", namespace_of(title)))
                    result.pages_by_namespace[ns] = result.pages_by_namespace.get(ns, 0) + 1
            result.pages_by_namespace = dict(sorted(result.pages_by_namespace.items()))
        result.checked = True
    except WikitownError as exc:
        result.error = exc.message("en")
    return result


# --- exports ---------------------------------------------------------------------------------------

FIGURES = ["sites_planned", "sites_visited", "photos_collected", "photos_published", "drafts_written",
           "drafts_approved", "drafts_published", "articles_created", "articles_improved"]


def namespace_label(ns: int, t) -> str:
    return t(f"report.ns.{ns}") if ns in (0, 2, 118) else t("report.ns.other", ns=ns)


def namespace_rows(report: Report) -> list[tuple[int, int, int | None]]:
    """(namespace, pages published there, pages the wiki confirmed there or None when not asked)."""
    confirmed = report.wiki.pages_by_namespace if report.wiki.checked else None
    spaces = sorted(set(report.pages_by_namespace) | set(confirmed or {}))
    return [(ns, report.pages_by_namespace.get(ns, 0), (confirmed or {}).get(ns, 0) if confirmed is not None
             else None) for ns in spaces]


def team_label(team: int, t) -> str:
    return t("report.team_none") if team == NO_TEAM else t("report.team", n=team)




def to_markdown(report: Report, lang: str = "ja") -> str:
    t = translator(lang)
    md = markdown_text
    out = [f"# {md(report.event_name)}", "", f"## {t('report.summary')}", ""]
    out += [f"| {t('report.figure')} | {t('report.total')} |", "|---|---|"]
    out += [f"| {t('report.f.' + f)} | {getattr(report.total, f)} |" for f in FIGURES]
    out += ["", f"## {t('report.by_team')}", "",
            "| " + " | ".join([t("report.team_col")] + [t("report.f." + f) for f in FIGURES]) + " |",
            "|" + "---|" * (len(FIGURES) + 1)]
    for team in report.teams:
        out.append("| " + " | ".join([team_label(team.team, t)] + [str(getattr(team, f)) for f in FIGURES]) + " |")
    out += ["", f"## {t('report.wiki')}", "", wiki_line(report, t), ""]
    ns_rows = namespace_rows(report)
    if ns_rows:
        out += [f"### {t('report.namespaces')}", "",
                f"| {t('report.ns_col')} | {t('report.ns_count')} | {t('report.ns_on_wiki')} |", "|---|---|---|"]
        out += [f"| {namespace_label(ns, t)} | {n} | {'-' if on_wiki is None else on_wiki} |"
                for ns, n, on_wiki in ns_rows]
        out.append("")
    out += [f"## {t('report.sources')}", ""]
    # One item a source, its sites a list under it (a source used for 150 sites was one long paragraph).
    for s in report.sources_used:
        out.append(f"- {md(s['title'])}" + (f" ({md(s['authors'])})" if s["authors"] else "")
                   + (f" ISBN {s['isbn']}" if s["isbn"] else ""))
        out += [f"    - {md(name)}" for name in s["sites"]]
    if not report.sources_used:
        out.append(t("report.none"))
    out += ["", f"## {t('report.participants')}", "", md("、".join(report.participants)) or t("report.none"), ""]
    return "\n".join(out)


def wiki_line(report: Report, t) -> str:
    w = report.wiki
    if not w.checked:
        return t("report.wiki_unchecked", error=w.error) if w.error else t("report.wiki_not_asked")
    return t("report.wiki_confirmed", files=w.files_found, files_kb=round(w.files_bytes / 1024),
             pages=w.pages_found, pages_kb=round(w.pages_bytes / 1024),
             missing=len(w.files_missing) + len(w.pages_missing))


def finds_svg(points, width=480, height=360) -> str:
    """A map of the finds drawn from coordinates alone (no tiles: the report works offline)."""
    if not points:
        return ""
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    la0, la1, lo0, lo1 = min(lats), max(lats), min(lons), max(lons)
    span_la, span_lo = max(la1 - la0, 1e-4), max(lo1 - lo0, 1e-4)
    dots = []
    for lat, lon, name in points:
        x = 10 + (lon - lo0) / span_lo * (width - 20)
        y = 10 + (la1 - lat) / span_la * (height - 20)
        dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#8c1c13" fill-opacity="0.7">'
                    f'<title>{html.escape(name)}</title></circle>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="border:1px solid #ccc;background:#fafafa">{"".join(dots)}</svg>')


def to_html(report: Report, lang: str = "ja") -> str:
    t = translator(lang)
    e = html.escape
    rows = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in [team_label(tf.team, t)]
                                    + [getattr(tf, f) for f in FIGURES]) + "</tr>" for tf in report.teams)
    head = "".join(f"<th>{e(t('report.f.' + f))}</th>" for f in FIGURES)
    totals = "".join(f"<tr><th>{e(t('report.f.' + f))}</th><td>{getattr(report.total, f)}</td></tr>"
                     for f in FIGURES)
    srcs = "".join(f"<li>{e(s['title'])}<ul>{''.join(f'<li>{e(n)}</li>' for n in s['sites'])}</ul></li>"
                   for s in report.sources_used)
    ns_rows = namespace_rows(report)
    ns_table = (f"<h3>{e(t('report.namespaces'))}</h3><table><tr><th>{e(t('report.ns_col'))}</th>"
                f"<th>{e(t('report.ns_count'))}</th><th>{e(t('report.ns_on_wiki'))}</th></tr>"
                + "".join(f"<tr><td>{e(namespace_label(ns, t))}</td><td>{n}</td>"
                          f"<td>{'-' if on_wiki is None else on_wiki}</td></tr>" for ns, n, on_wiki in ns_rows)
                + "</table>") if ns_rows else ""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(report.event_name)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto}}td,th{{border:1px solid #ccc;padding:4px}}
table{{border-collapse:collapse}}</style></head><body>
<h1>{e(report.event_name)}</h1>
<h2>{e(t('report.summary'))}</h2><table>{totals}</table>
<h2>{e(t('report.by_team'))}</h2><table><tr><th>{e(t('report.team_col'))}</th>{head}</tr>{rows}</table>
<h2>{e(t('report.wiki'))}</h2><p>{e(wiki_line(report, t))}</p>{ns_table}
<h2>{e(t('report.map'))}</h2>{finds_svg(report.finds_points)}
<h2>{e(t('report.sources'))}</h2><ul>{srcs}</ul>
<h2>{e(t('report.participants'))}</h2><p>{e('、'.join(report.participants))}</p>
</body></html>
"""


def to_csv(report: Report) -> str:
    """The per-site lines as CSV text (no BOM: for reading back); files use :func:`to_csv_bytes`.
    Cells from user text never start a formula (core.csvout)."""
    fields = list(SiteLine.__dataclass_fields__)
    return csv_text(fields, dict_rows(fields, (asdict(line) for line in report.sites)), bom=False)


def to_csv_bytes(report: Report) -> bytes:
    """``report.csv`` as written and downloaded: UTF-8 with a BOM, so Excel reads it."""
    fields = list(SiteLine.__dataclass_fields__)
    return csv_bytes(fields, dict_rows(fields, (asdict(line) for line in report.sites)))


def to_wikitext(report: Report, lang: str = "ja") -> str:
    """The results section for the event's page on the wiki: new articles and photos."""
    t = translator(lang)
    out = [f"== {t('report.wiki_results')} ==", "", "{| class=\"wikitable sortable\"",
           f"! {t('report.wiki_site')} !! {t('report.wiki_article')} !! {t('report.wiki_photos')}"]
    for line in report.sites:
        article = ""
        if line.draft_state == "published" and line.draft_title:
            article = f"[[{line.draft_title}]]"
            if namespace_of(line.draft_title) in DRAFT_NAMESPACES:  # a draft, and said to be one
                article += f" ({t('report.wiki_draft')})"
        out += ["|-", f"| {escape(line.name)} || {article} || {line.photos_published}"]
    out += ["|}", "", t("report.wiki_summary", **{f: getattr(report.total, f) for f in FIGURES})]
    if report.files:
        out += ["", "<gallery>"] + [f for f in report.files[:50]] + ["</gallery>"]
    return "\n".join(out) + "\n"


def write_exports(report: Report, out_dir: Path, lang: str = "ja") -> dict[str, Path]:
    out_dir = Path(out_dir)
    files = {"markdown": out_dir / "report.md", "html": out_dir / "report.html", "csv": out_dir / "report.csv",
             "wikitext": out_dir / "results.wiki"}
    atomic_write_bytes(files["markdown"], to_markdown(report, lang).encode("utf-8"))
    atomic_write_bytes(files["html"], to_html(report, lang).encode("utf-8"))
    atomic_write_bytes(files["csv"], to_csv_bytes(report))
    atomic_write_bytes(files["wikitext"], to_wikitext(report, lang).encode("utf-8"))
    return files


@dataclass
class FindOutcome:
    find_id: str
    note: str
    site_name: str
    files: list[str]  # published file titles of this find's photos
    photos_waiting: int
    draft_title: str
    draft_state: str


def participant_outcomes(store, participant_id: str) -> list[FindOutcome]:
    """What one participant's photos and notes became: the site, the files, the article."""
    with store.read() as conn:
        rows = conn.execute(sa.select(finds.c.id, finds.c.note, finds.c.site_id)
                            .where(finds.c.participant_id == participant_id)
                            .order_by(finds.c.created_at)).all()
        names = {sid: p[0] for sid, p in site_points(conn, {r.site_id for r in rows if r.site_id}).items()}
        photos = defaultdict(list)
        for sha1, find_id in conn.execute(sa.select(media.c.sha1, media.c.find_id).where(
                media.c.find_id.in_([r.id for r in rows]))):
            photos[find_id].append(sha1)
        files_by_sha, _pages = _published_targets(conn)
        draft_by_site = {d.site_id: d for d in conn.execute(sa.select(drafts))}
    out = []
    for r in rows:
        shas = photos[r.id]
        d = draft_by_site.get(r.site_id)
        out.append(FindOutcome(r.id, r.note or "", names.get(r.site_id) or "", [files_by_sha[s] for s in shas if s in files_by_sha],
                               sum(1 for s in shas if s not in files_by_sha),
                               (d.published_title or d.title) if d else "", d.state if d else ""))
    return out
