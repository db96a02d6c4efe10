"""The sites map and table (organizer): sources, gaps, filters, merge/split, walk targets, exports."""

from __future__ import annotations

import math
import re

import pandas as pd
import pydeck as pdk
import streamlit as st

from wikitown.app import maps
from wikitown.app.cache import ranked_sites, sites_changed, sites_revision
from wikitown.app.common import Context, md_escape
from wikitown.core.errors import WikitownError
from wikitown.gaps.article_status import missing_filter_note, status_notes

TABLE_COLUMNS = ["name", "name_kana", "designation", "category", "address", "municipality", "article_status",
                 "article_title", "has_photo", "coord_status", "lat", "lon", "sources", "issues"]
# columns whose header keys live in the sitemodel catalogue
_HEADER_KEYS = {"municipality": "sitemodel.col.municipality", "issues": "sitemodel.col.issues"}
LEVELS = ("national", "prefectural", "municipal", "registered", "")
# Pins by article status: red = missing (the event's targets), orange = check, green = exists.
STATUS_COLOURS = {"missing": [210, 30, 30, 220], "possible": [240, 140, 0, 220], "ambiguous": [240, 140, 0, 220],
                  "unchecked": [120, 120, 120, 200], "exists": [30, 150, 60, 220]}
# The table shows a page at a time: a prefecture's 20,000 rows are megabytes on every click.
PAGE_SIZE = 200
# The merge and split pickers offer at most this many sites (searched by name).
PICK_LIMIT = 200


def localised_frame(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """Status codes shown in the user's language; column headers too."""
    view = frame.reindex(columns=TABLE_COLUMNS).copy()
    # where the municipality came from, when it is not the site's own column (issue 12.3)
    origins = frame["municipality_origin"] if "municipality_origin" in frame else [""] * len(frame)
    view["municipality"] = [f"{m or ''}（{ctx.t(f'sitemodel.origin.{o}')}）" if m and o and o != "field" else (m or "")
                            for m, o in zip(view["municipality"], origins)]
    view["issues"] = [issue_labels(ctx, v) for v in view["issues"]]
    view["article_status"] = [ctx.t(f"status.article.{s or 'unchecked'}") for s in view["article_status"]]
    view["coord_status"] = [ctx.t(f"status.coord.{s or 'missing'}") for s in view["coord_status"]]
    view["has_photo"] = [ctx.t("status.photo.unknown") if v is None or v != v else
                         ctx.t("status.photo.yes" if v else "status.photo.no") for v in view["has_photo"]]
    # why each status (the title found or checked, or why the wiki could not be asked)
    view.insert(view.columns.get_loc("article_title") + 1, "article_note", status_notes(
        list(frame["article_status"]),
        [(d or {}).get("article_evidence") if isinstance(d, dict) else None for d in frame["data"]], ctx.t))
    return view.rename(columns={c: ctx.t(_HEADER_KEYS.get(c, f"app.sites.col.{c}"))
                                for c in [*TABLE_COLUMNS, "article_note"]})


def issue_labels(ctx: Context, issues) -> str:
    """The importer's findings for a site, short, in the user's language ("" when none)."""
    if not isinstance(issues, list):
        return ""
    codes = dict.fromkeys(str(i.get("code")) for i in issues if isinstance(i, dict) and i.get("code"))
    return " / ".join(ctx.t(f"sitemodel.issue.short.{c}") for c in codes)


def status_legend(ctx: Context, statuses) -> None:
    # one swatch per colour, naming every status drawn in it (possible and ambiguous share orange)
    by_colour: dict[tuple, list[str]] = {}
    for status in STATUS_COLOURS:
        if status in statuses:
            by_colour.setdefault(tuple(STATUS_COLOURS[status]), []).append(ctx.t(f"status.article.{status}"))
    maps.legend([(list(c), "・".join(names)) for c, names in by_colour.items()])


@st.cache_resource(show_spinner=False, max_entries=16)
def _cells(cache_key: tuple, _located: pd.DataFrame, _t) -> pd.DataFrame:
    """The aggregated map of a filtered set of sites (its layer's data), once per sites revision,
    filter and language."""
    cells = maps.aggregate(_located, "article_status")
    counts = cells[[c for c in cells.columns if c.startswith("n_")]]
    missing = cells["n_missing"] if "n_missing" in cells else pd.Series(0, index=cells.index)
    cells["colour"] = [STATUS_COLOURS[s] for s in counts.idxmax(axis=1).str[2:]]
    cells["label"] = [_t("orgapp.map.cell", count=int(n), missing=int(m)) for n, m in zip(cells["count"], missing)]
    cells["radius"] = [round(4 + 2.5 * math.sqrt(n), 1) for n in cells["count"]]
    return cells[["lat", "lon", "count", "colour", "label", "radius"]]


def site_map(ctx: Context, frame: pd.DataFrame, *, key: str = "site_map", cache_key: tuple | None = None) -> None:
    """Points on a map, coloured by article status, with a legend. Drawn with deck.gl, bundled with
    Streamlit, so the points show with no network (only the background tiles stay blank offline).
    Beyond maps.MAX_POINTS, squares with a count (coloured by their commonest status) instead."""
    columns = [c for c in ("name", "lat", "lon", "designation", "coord_status", "article_status") if c in frame]
    located = frame[columns].dropna(subset=["lat", "lon"])
    located = located[located["coord_status"] != "missing"] if "coord_status" in located else located
    missing = len(frame) - len(located)
    if len(located):
        statuses = located["article_status"].where(located["article_status"].isin(list(STATUS_COLOURS)), "unchecked")
        area = ctx.event.config.area
        view = pdk.ViewState(latitude=float(located["lat"].median()), longitude=float(located["lon"].median()),
                             zoom=12 if area.radius_km <= 10 else 10)
        if len(located) <= maps.MAX_POINTS:
            data = located.assign(status=[ctx.t(f"status.article.{s}") for s in statuses],
                                  colour=[STATUS_COLOURS[s] for s in statuses])
            layer = pdk.Layer("ScatterplotLayer", data=data[["name", "lat", "lon", "status", "designation", "colour"]],
                              get_position="[lon, lat]", get_radius=60, radius_min_pixels=4,
                              get_fill_color="colour", pickable=True, **maps.RIM)
            tooltip = {"text": "{name}\n{designation}\n{status}"}
        else:
            located = located.assign(article_status=statuses)
            cells = (_cells((*cache_key, ctx.lang), located, ctx.t) if cache_key
                     else _cells.__wrapped__(None, located, ctx.t))
            layer = pdk.Layer("ScatterplotLayer", data=cells,
                              get_position="[lon, lat]", get_radius="radius", radius_units="pixels",
                              get_fill_color="colour", pickable=True, **maps.RIM)
            tooltip = {"text": "{label}"}
            view.zoom = 9
            st.caption(ctx.t("orgapp.map.aggregated", count=len(located), cells=len(cells)))
        st.pydeck_chart(maps.CompactDeck(layers=[layer], initial_view_state=view, map_style=None, tooltip=tooltip), key=key)
        status_legend(ctx, set(statuses))
        maps.offline_note(ctx.t)
    if missing:
        st.caption(ctx.t("app.sites.no_coords", count=missing))


def filter_frame(frame: pd.DataFrame, *, missing_article: bool = False, missing_photo: bool = False,
                 levels: list[str] | None = None, sources: list[str] | None = None) -> pd.DataFrame:
    """The organizer's filters (also used by tests): all given conditions must hold."""
    mask = pd.Series(True, index=frame.index)
    if missing_article:
        mask &= frame["article_status"].isin(["missing", "possible"])
    if missing_photo:
        mask &= frame["has_photo"].map(lambda v: v is not True and v != 1)
    if levels:
        mask &= frame["designation_level"].fillna("").isin(levels)
    if sources:
        wanted = set(sources)
        mask &= frame["sources"].map(lambda s: bool(wanted & {_family(x) for x in str(s).split(";") if x}))
    return frame[mask]


SOURCE_FAMILIES = ("opendata", "wikidata", "osm", "geocode", "wiki")


def _family(source: str) -> str:
    return source.split(":", 1)[0]


def _progress_bar(ctx: Context):
    bar = st.progress(0.0, text=ctx.t("sites.progress.start"))

    def progress(step: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0, text=ctx.t(step))

    return progress


def _show_report(ctx: Context, report) -> None:
    for failure in report.failures:
        st.error(ctx.t("sites.ui.failed", source=md_escape(failure.label), error=md_escape(failure.message(ctx.lang, markdown=True))))
    issues = [{ctx.t("sites.ui.col.source"): source_label(ctx, res.source), ctx.t("sites.ui.col.line"): i.line,
               ctx.t("sites.ui.col.reason"): i.message(ctx.lang), ctx.t("sites.ui.col.action"): ctx.t(f"sites.issue.{i.action}")}
              for res in report.results for i in res.issues]
    for res in report.results:
        if res.records or res.source.startswith("opendata:"):
            # Files say how they were read (their encoding); services have none to say.
            st.success(ctx.t("sites.cli.source_done" if res.encoding else "sites.cli.service_done",
                             source=md_escape(source_label(ctx, res.source)), count=len(res.records),
                             issues=len(res.issues),
                             encoding=res.encoding))
        if "municipality_item" in res.notes:  # how Wikidata's query found the town, or that it could not
            item = res.notes["municipality_item"]
            st.caption(md_escape(ctx.t("gaps.cli.municipality_item" if item else "gaps.cli.no_municipality_item",
                                       item=item, how=res.notes.get("municipality_how", ""))))
    if issues:
        with st.expander(ctx.t("sites.ui.issues", count=len(issues))):
            st.dataframe(pd.DataFrame(issues), hide_index=True, width="stretch")
    if report.statuses:
        st.info(ctx.t("sites.cli.statuses", summary=", ".join(
            f"{ctx.t(f'status.article.{k}')} {v}" for k, v in sorted(report.statuses.items()))))


def _safe_upload_name(name: str) -> str:
    base = re.sub(r"[^\w.\-]+", "_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).lstrip(".") or "upload"
    return base[:100]


def _sources_panel(ctx: Context) -> None:
    from wikitown.core.fsutil import atomic_write_bytes
    from wikitown.gaps.collect import import_files, run_gaps
    from wikitown.sources.opendata import parse_map

    with st.expander(ctx.t("sites.ui.sources"), expanded=False):
        # Streamlit draws the drop zone's own words in English: the help says them in the user's language.
        uploads = st.file_uploader(ctx.t("sites.ui.upload"), type=["csv", "txt", "xlsx", "geojson", "json"],
                                   accept_multiple_files=True, key="sites_upload", help=ctx.t("orgapp.help.upload"))
        mapping_text = st.text_input(ctx.t("sites.ui.mapping"), key="sites_mapping",
                                     help=ctx.t("sites.ui.mapping_help"))
        if st.button(ctx.t("sites.ui.import"), key="sites_import", disabled=not uploads):
            try:
                mapping = parse_map([p for p in re.split(r"[,\s]+", mapping_text or "") if p])
                files = []
                for up in uploads:
                    target = ctx.event.path(f"data/uploads/{_safe_upload_name(up.name)}")
                    atomic_write_bytes(target, up.getvalue())
                    files.append((target, mapping))
                report = import_files(ctx.event, files, progress=_progress_bar(ctx))
                sites_changed(ctx.event.store)
                _show_report(ctx, report)
            except WikitownError as exc:
                st.error(exc.message(ctx.lang, markdown=True))
        if st.button(ctx.t("sites.ui.run_gaps"), key="sites_gaps", type="primary", help=ctx.t("orgapp.help.run_gaps")):
            report = run_gaps(ctx.event, progress=_progress_bar(ctx))
            sites_changed(ctx.event.store)
            _show_report(ctx, report)


def _pick_candidates(frame: pd.DataFrame, query: str, keep: list[str]) -> pd.DataFrame:
    """The sites a picker offers: those whose name or place holds ``query`` (the first PICK_LIMIT),
    plus the ones already picked (a picker must keep its choices when the search changes)."""
    if query:
        hit = (frame["name"].fillna("").str.contains(query, regex=False)
               | frame["municipality"].fillna("").str.contains(query, regex=False)
               | frame["address"].fillna("").str.contains(query, regex=False))
        found = frame[hit]
    else:
        found = frame
    found = found.head(PICK_LIMIT)
    extra = frame[frame["id"].isin(set(keep) - set(found["id"]))]
    return pd.concat([found, extra]) if len(extra) else found


def _merge_panel(ctx: Context, frame: pd.DataFrame) -> None:
    from wikitown.gaps.merge import join_sites, split_site

    with st.expander(ctx.t("sites.ui.merge_split")):
        query = st.text_input(ctx.t("orgapp.pick.search"), key="sites_merge_query",
                              help=ctx.t("orgapp.pick.search_help", limit=PICK_LIMIT)).strip()
        picked = list(st.session_state.get("sites_merge_pick") or [])
        offered = _pick_candidates(frame, query, picked)
        labels = {r.id: _site_label(ctx, r) for r in offered.itertuples()}
        chosen = st.multiselect(ctx.t("sites.ui.merge_pick"), list(labels),
                                placeholder=ctx.t("app.choose"), format_func=labels.get,
                                key="sites_merge_pick", help=ctx.t("orgapp.help.merge"))
        if st.button(ctx.t("sites.ui.merge"), key="sites_merge", disabled=len(chosen) < 2):
            result = join_sites(ctx.event.store, chosen)
            sites_changed(ctx.event.store)
            st.success(ctx.t("sites.ui.merged", sites=result["sites"]))
            st.rerun()
        multi = [sid for sid, r in zip(offered["id"], offered["sources"]) if ";" in str(r)]
        one = st.selectbox(ctx.t("sites.ui.split_pick"), [""] + multi, format_func=lambda s: labels.get(s, ""),
                           key="sites_split_pick", help=ctx.t("orgapp.help.split"))
        if st.button(ctx.t("sites.ui.split"), key="sites_split", disabled=not one):
            result = split_site(ctx.event.store, one)
            sites_changed(ctx.event.store)
            st.success(ctx.t("sites.ui.merged", sites=result["sites"]))
            st.rerun()


def _site_label(ctx: Context, row) -> str:
    """A site in a picker: its name, where it is, and which sources know it (in words)."""
    place = row.municipality or row.address or ""
    sources = "、".join(source_label(ctx, s) for s in str(row.sources or "").split(";") if s)
    return f"{row.name}（{place}）" + (f" [{sources}]" if sources else "") if place else \
        row.name + (f" [{sources}]" if sources else "")


def source_label(ctx: Context, source: str) -> str:
    """A source as the user knows it: "opendata:list.csv" -> "list.csv", "osm" -> "OpenStreetMap"."""
    family, _, detail = source.partition(":")
    if family == "opendata" and detail:
        return detail  # a municipal file is known by its name
    name = ctx.t(f"orgapp.source.{family}") if family in SOURCE_FAMILIES else family
    return f"{name} {detail}".strip()


def _save_selection(ctx: Context, frame: pd.DataFrame, edited: pd.DataFrame) -> int:
    from wikitown.store.sites import set_selected

    changes = {sid: bool(new) for sid, old, new in zip(frame["id"], frame["selected"].fillna(False),
                                                       edited["selected"].fillna(False)) if bool(old) != bool(new)}
    # Walk targets are read afresh on every run (app.cache.selected_ids): no cache to renew.
    return set_selected(ctx.event.store, changes)


def _full_rows(ctx: Context, shown: pd.DataFrame) -> pd.DataFrame:
    """The shown sites with every column (the views read fewer), in the shown order."""
    from wikitown.store.sites import sites_frame

    full = sites_frame(ctx.event.store).set_index("id")
    ids = [i for i in shown["id"] if i in full.index]
    out = full.loc[ids].reset_index()
    out["priority"] = shown.set_index("id").loc[ids, "priority"].to_numpy()
    return out


def _exports(ctx: Context, frame: pd.DataFrame) -> None:
    from wikitown.gaps.exports import FORMATS, export

    st.caption(ctx.t("sites.ui.exports"))
    cols = st.columns(len(FORMATS))
    slug = ctx.event.slug
    for col, (fmt, mime) in zip(cols, FORMATS.items()):
        ext = "txt" if fmt == "wikitext" else fmt
        # The file is made when the button is pressed, not on every click of the page.
        col.download_button(ctx.t(f"sites.ui.export.{fmt}"),
                            lambda fmt=fmt: export(_full_rows(ctx, frame), fmt, lang=ctx.lang, name=ctx.event.name),
                            file_name=f"{slug}-sites.{ext}", mime=mime, key=f"sites_export_{fmt}")


def _families(frame: pd.DataFrame) -> list[str]:
    return sorted({_family(s) for v in frame["sources"].unique() for s in str(v).split(";") if s})


def _page(ctx: Context, shown: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The page of ``shown`` the table draws, and its number (1-based)."""
    pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
    if pages == 1:
        return shown, 1
    c1, c2 = st.columns([1, 3])
    page = int(c1.number_input(ctx.t("orgapp.table.page"), min_value=1, max_value=pages, value=1, step=1,
                               key="sites_page", help=ctx.t("orgapp.table.page_help", size=PAGE_SIZE)))
    first = (page - 1) * PAGE_SIZE
    c2.caption(ctx.t("orgapp.table.rows", first=first + 1, last=min(first + PAGE_SIZE, len(shown)),
                     total=len(shown), pages=pages))
    return shown.iloc[first:first + PAGE_SIZE], page


def render(ctx: Context) -> None:
    st.subheader(ctx.t("app.sites.title"))
    _sources_panel(ctx)
    frame = ranked_sites(ctx.event)
    if frame.empty:
        st.info(ctx.t("app.sites.none"))
        return
    c1, c2, c3, c4 = st.columns(4)
    missing_article = c1.checkbox(ctx.t("sites.ui.filter.missing_article"), key="sites_f_article",
                                  help=ctx.t("orgapp.help.missing_article"))
    missing_photo = c2.checkbox(ctx.t("sites.ui.filter.missing_photo"), key="sites_f_photo",
                                help=ctx.t("orgapp.help.missing_photo"))
    levels = c3.multiselect(ctx.t("sites.ui.filter.level"), list(LEVELS), placeholder=ctx.t("app.choose"),
                            format_func=lambda v: ctx.t(f"sites.level.{v or 'none'}"), key="sites_f_level",
                            help=ctx.t("orgapp.help.level"))
    sources = c4.multiselect(ctx.t("sites.ui.filter.source"), _families(frame),
                             format_func=lambda f: source_label(ctx, f),
                             placeholder=ctx.t("app.choose"), key="sites_f_source", help=ctx.t("orgapp.help.source"))
    shown = filter_frame(frame, missing_article=missing_article, missing_photo=missing_photo, levels=levels,
                         sources=sources)
    st.caption(ctx.t("sites.ui.count", shown=len(shown), total=len(frame)))
    if missing_article:  # say why "no article" is empty or short: sites the wiki could not be asked about
        note = missing_filter_note(list(frame["article_status"]), [
            (d or {}).get("article_evidence") if isinstance(d, dict) else None for d in frame["data"]], ctx.t)
        if note:
            st.info(md_escape(note))
    site_map(ctx, shown, cache_key=(ctx.event.store.url, sites_revision(ctx.event.store), missing_article,
                                    missing_photo, tuple(levels), tuple(sources)))
    page, number = _page(ctx, shown)
    view = localised_frame(ctx, page)
    view[ctx.t("app.sites.col.sources")] = [
        "、".join(source_label(ctx, s) for s in str(v).split(";") if s) for v in page["sources"]]
    view.insert(0, ctx.t("sites.ui.col.selected"), page["selected"].fillna(False).astype(bool).to_numpy())
    view.insert(1, ctx.t("sites.ui.col.priority"), page["priority"].to_numpy())
    selected_col, priority_col = ctx.t("sites.ui.col.selected"), ctx.t("sites.ui.col.priority")
    # One editor per page and filter: ticks made on one page never land on another page's rows.
    table_key = f"sites_table_{number}_{missing_article}_{missing_photo}_{'.'.join(levels)}_{'.'.join(sources)}"
    edited = st.data_editor(view, hide_index=True, width="stretch", key=table_key,
                            column_config={
                                selected_col: st.column_config.CheckboxColumn(help=ctx.t("orgapp.help.selected")),
                                priority_col: st.column_config.NumberColumn(help=ctx.t("orgapp.help.priority"),
                                                                            format="%.0f")},
                            disabled=[c for c in view.columns if c != selected_col])
    st.caption(ctx.t("orgapp.help.priority"))
    b1, b2 = st.columns(2)
    if b1.button(ctx.t("sites.ui.save_selection"), key="sites_save_selection"):
        changed = _save_selection(ctx, page.reset_index(drop=True),
                                  pd.DataFrame({"selected": edited[selected_col].to_numpy()}))
        st.success(ctx.t("sites.ui.selection_saved", count=changed))
    # With the filters set (e.g. "no article"), every site shown becomes a walk target in one click.
    if b2.button(ctx.t("sites.ui.select_shown", count=len(shown)), key="sites_select_shown", disabled=shown.empty):
        changed = _save_selection(ctx, shown.reset_index(drop=True), pd.DataFrame({"selected": [True] * len(shown)}))
        for key in [k for k in st.session_state if str(k).startswith("sites_table")]:
            st.session_state.pop(key, None)
        st.session_state["sites_flash"] = ctx.t("sites.ui.selection_saved", count=changed)
        st.rerun()
    flash = st.session_state.pop("sites_flash", None)
    if flash:
        st.success(flash)
    _merge_panel(ctx, frame)
    _exports(ctx, shown)
