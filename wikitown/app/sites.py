"""The sites map and table (organizer): sources, gaps, filters, merge/split, walk targets, exports."""

from __future__ import annotations

import re

import pandas as pd
import pydeck as pdk
import streamlit as st

from wikitown.app.common import Context, md_escape
from wikitown.core.errors import WikitownError
from wikitown.gaps.article_status import missing_filter_note, status_notes
from wikitown.store.sites import sites_frame

TABLE_COLUMNS = ["name", "name_kana", "designation", "category", "address", "municipality", "article_status",
                 "article_title", "has_photo", "coord_status", "lat", "lon", "sources", "issues"]
# columns whose header keys live in the sitemodel catalogue
_HEADER_KEYS = {"municipality": "sitemodel.col.municipality", "issues": "sitemodel.col.issues"}
LEVELS = ("national", "prefectural", "municipal", "registered", "")
# Pins by article status: red = missing (the event's targets), orange = check, green = exists.
STATUS_COLOURS = {"missing": [210, 30, 30, 200], "possible": [240, 140, 0, 200], "ambiguous": [240, 140, 0, 200],
                  "unchecked": [120, 120, 120, 180], "exists": [30, 150, 60, 200]}


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


def site_map(ctx: Context, frame: pd.DataFrame, *, key: str = "site_map") -> None:
    """Points on a map. Drawn with deck.gl, bundled with Streamlit, so the points
    show with no network (only the background tiles stay blank offline)."""
    located = frame.dropna(subset=["lat", "lon"])
    located = located[located["coord_status"] != "missing"] if "coord_status" in located else located
    missing = len(frame) - len(located)
    if len(located):
        data = located.assign(status=[ctx.t(f"status.article.{s or 'unchecked'}")
                                      for s in located["article_status"]],
                              colour=[STATUS_COLOURS.get(s or "unchecked", STATUS_COLOURS["unchecked"])
                                      for s in located["article_status"]])
        layer = pdk.Layer("ScatterplotLayer", data=data[["name", "lat", "lon", "status", "designation", "colour"]],
                          get_position="[lon, lat]", get_radius=60, radius_min_pixels=4,
                          get_fill_color="colour", pickable=True)
        area = ctx.event.config.area
        view = pdk.ViewState(latitude=float(located["lat"].median()), longitude=float(located["lon"].median()),
                             zoom=12 if area.radius_km <= 10 else 10)
        st.pydeck_chart(pdk.Deck(layers=[layer], initial_view_state=view, map_style=None,
                                 tooltip={"text": "{name}\n{designation}\n{status}"}), key=key)
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
    issues = [{ctx.t("sites.ui.col.source"): res.source, ctx.t("sites.ui.col.line"): i.line,
               ctx.t("sites.ui.col.reason"): i.message(ctx.lang), ctx.t("sites.ui.col.action"): ctx.t(f"sites.issue.{i.action}")}
              for res in report.results for i in res.issues]
    for res in report.results:
        if res.records or res.source.startswith("opendata:"):
            # Files say how they were read (their encoding); services have none to say.
            st.success(ctx.t("sites.cli.source_done" if res.encoding else "sites.cli.service_done",
                             source=md_escape(res.source), count=len(res.records), issues=len(res.issues),
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
        uploads = st.file_uploader(ctx.t("sites.ui.upload"), type=["csv", "txt", "xlsx", "geojson", "json"],
                                   accept_multiple_files=True, key="sites_upload")
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
                _show_report(ctx, report)
            except WikitownError as exc:
                st.error(exc.message(ctx.lang, markdown=True))
        if st.button(ctx.t("sites.ui.run_gaps"), key="sites_gaps", type="primary"):
            report = run_gaps(ctx.event, progress=_progress_bar(ctx))
            _show_report(ctx, report)


def _merge_panel(ctx: Context, frame: pd.DataFrame) -> None:
    from wikitown.gaps.merge import join_sites, split_site

    labels = {r.id: f"{r.name} ({r.sources or '-'}) [{r.id}]" for r in frame.itertuples()}
    with st.expander(ctx.t("sites.ui.merge_split")):
        chosen = st.multiselect(ctx.t("sites.ui.merge_pick"), list(labels),
                                placeholder=ctx.t("app.choose"), format_func=labels.get,
                                key="sites_merge_pick")
        if st.button(ctx.t("sites.ui.merge"), key="sites_merge", disabled=len(chosen) < 2):
            result = join_sites(ctx.event.store, chosen)
            st.success(ctx.t("sites.ui.merged", sites=result["sites"]))
            st.rerun()
        multi = [sid for sid, r in zip(frame["id"], frame["sources"]) if ";" in str(r)]
        one = st.selectbox(ctx.t("sites.ui.split_pick"), [""] + multi, format_func=lambda s: labels.get(s, ""),
                           key="sites_split_pick")
        if st.button(ctx.t("sites.ui.split"), key="sites_split", disabled=not one):
            result = split_site(ctx.event.store, one)
            st.success(ctx.t("sites.ui.merged", sites=result["sites"]))
            st.rerun()


def _save_selection(ctx: Context, frame: pd.DataFrame, edited: pd.DataFrame) -> int:
    from wikitown.store.sites import set_selected

    changes = {sid: bool(new) for sid, old, new in zip(frame["id"], frame["selected"].fillna(False),
                                                       edited["selected"].fillna(False)) if bool(old) != bool(new)}
    return set_selected(ctx.event.store, changes)


def _exports(ctx: Context, frame: pd.DataFrame) -> None:
    from wikitown.gaps.exports import FORMATS, export

    st.caption(ctx.t("sites.ui.exports"))
    cols = st.columns(len(FORMATS))
    slug = ctx.event.slug
    for col, (fmt, mime) in zip(cols, FORMATS.items()):
        ext = "txt" if fmt == "wikitext" else fmt
        col.download_button(ctx.t(f"sites.ui.export.{fmt}"), export(frame, fmt, lang=ctx.lang, name=ctx.event.name),
                            file_name=f"{slug}-sites.{ext}", mime=mime, key=f"sites_export_{fmt}")


def render(ctx: Context) -> None:
    from wikitown.gaps.collect import with_priority

    st.subheader(ctx.t("app.sites.title"))
    _sources_panel(ctx)
    frame = sites_frame(ctx.event.store)
    if frame.empty:
        st.info(ctx.t("app.sites.none"))
        return
    frame = with_priority(frame, ctx.event.config.area)
    c1, c2, c3, c4 = st.columns(4)
    missing_article = c1.checkbox(ctx.t("sites.ui.filter.missing_article"), key="sites_f_article")
    missing_photo = c2.checkbox(ctx.t("sites.ui.filter.missing_photo"), key="sites_f_photo")
    levels = c3.multiselect(ctx.t("sites.ui.filter.level"), list(LEVELS), placeholder=ctx.t("app.choose"),
                            format_func=lambda v: ctx.t(f"sites.level.{v or 'none'}"), key="sites_f_level")
    families = sorted({_family(s) for v in frame["sources"] for s in str(v).split(";") if s})
    sources = c4.multiselect(ctx.t("sites.ui.filter.source"), families,
                             placeholder=ctx.t("app.choose"), key="sites_f_source")
    shown = filter_frame(frame, missing_article=missing_article, missing_photo=missing_photo, levels=levels,
                         sources=sources)
    st.caption(ctx.t("sites.ui.count", shown=len(shown), total=len(frame)))
    if missing_article:  # say why "no article" is empty or short: sites the wiki could not be asked about
        note = missing_filter_note(list(frame["article_status"]), [
            (d or {}).get("article_evidence") if isinstance(d, dict) else None for d in frame["data"]], ctx.t)
        if note:
            st.info(md_escape(note))
    site_map(ctx, shown)
    view = localised_frame(ctx, shown)
    view.insert(0, ctx.t("sites.ui.col.selected"), shown["selected"].fillna(False).astype(bool).to_numpy())
    view.insert(1, ctx.t("sites.ui.col.priority"), shown["priority"].to_numpy())
    edited = st.data_editor(view, hide_index=True, width="stretch", key="sites_table",
                            disabled=[c for c in view.columns if c != ctx.t("sites.ui.col.selected")])
    b1, b2 = st.columns(2)
    if b1.button(ctx.t("sites.ui.save_selection"), key="sites_save_selection"):
        changed = _save_selection(ctx, shown.reset_index(drop=True),
                                  pd.DataFrame({"selected": edited[ctx.t("sites.ui.col.selected")].to_numpy()}))
        st.success(ctx.t("sites.ui.selection_saved", count=changed))
    # With the filters set (e.g. "no article"), every site shown becomes a walk target in one click.
    if b2.button(ctx.t("sites.ui.select_shown", count=len(shown)), key="sites_select_shown", disabled=shown.empty):
        changed = _save_selection(ctx, shown.reset_index(drop=True), pd.DataFrame({"selected": [True] * len(shown)}))
        st.session_state.pop("sites_table", None)
        st.session_state["sites_flash"] = ctx.t("sites.ui.selection_saved", count=changed)
        st.rerun()
    flash = st.session_state.pop("sites_flash", None)
    if flash:
        st.success(flash)
    _merge_panel(ctx, frame)
    _exports(ctx, shown)
