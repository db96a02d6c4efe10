"""Organizer tab: teams and routes (thin: the work is in wikitown.walk.planner and wikitown.walk.sheets)."""

from __future__ import annotations

import math

import pandas as pd
import pydeck as pdk
import streamlit as st

from wikitown.app import maps
from wikitown.app.cache import plan_sites, site_names
from wikitown.app.common import Context, md_escape, show_error
from wikitown.core.errors import WikitownError
from wikitown.walk.planner import (Plan, PlanSettings, load_plan, move_site, optimise_team, plan_event,
                           save_plan)
from wikitown.walk.start import Start, resolve_start
from wikitown.walk.sheets import is_local_url, join_url, plan_bundle, public_base_url, team_colour, zip_bundle

BASE_URL_KEY = "plan.base_url"


def _start_choice(ctx: Context, sites) -> tuple[str, dict]:
    """The start as the organizer picks it: a site (from the list, or clicked on the route map)
    or, in the form, a place name or lat,lon. Returns (site id or "", {site id: site})."""
    placed = {s.id: s for s in sites if s.lat is not None and s.lon is not None}
    options = [""] + sorted(placed, key=lambda i: (placed[i].name, i))
    clicked = st.session_state.pop("plan_start_clicked", None)  # a stop clicked on the map (last run)
    if clicked in options:
        st.session_state["plan_start_site"] = clicked
    if st.session_state.get("plan_start_site") not in options:
        st.session_state.pop("plan_start_site", None)
    label = {"": ctx.t("plan.ui.start_how.area")}
    site_id = st.selectbox(ctx.t("plan.ui.start_site"), options, key="plan_start_site",
                           format_func=lambda i: label.get(i) or f"{placed[i].name}（{placed[i].municipality or i}）",
                           help=ctx.t("plan.ui.start_map_help"))
    return site_id, placed


def _picked_site(state) -> str:
    """The site id of the stop clicked on the route map, or ""."""
    try:
        objects = state["selection"]["objects"]
    except (KeyError, TypeError):
        return ""
    for picked in (objects or {}).values():
        for obj in picked or []:
            if isinstance(obj, dict) and obj.get("site_id"):
                return str(obj["site_id"])
    return ""


def _settings_form(ctx: Context, defaults: PlanSettings, sites=()) -> PlanSettings | None:
    t = ctx.t
    site_id, placed = _start_choice(ctx, sites)
    with st.form("plan_settings"):
        c1, c2, c3 = st.columns(3)
        teams = c1.number_input(t("plan.ui.teams"), min_value=1, max_value=50, value=int(defaults.teams), step=1,
                                key="plan_teams", help=t("orgapp.help.teams"))
        start = c2.text_input(t("plan.ui.start"), value="", key="plan_start",
                              placeholder=t("plan.ui.start_place"), help=t("orgapp.help.start"))
        minutes = c3.number_input(t("plan.ui.minutes"), min_value=0, max_value=1440,
                                  value=int(defaults.minutes or 0), step=10, key="plan_minutes",
                                  help=t("orgapp.help.minutes"))
        c4, c5, c6 = st.columns(3)
        detour = c4.number_input(t("plan.ui.detour"), min_value=1.0, max_value=5.0, value=float(defaults.detour),
                                 step=0.05, key="plan_detour", help=t("orgapp.help.detour"))
        speed = c5.number_input(t("plan.ui.speed"), min_value=0.5, max_value=20.0, value=float(defaults.speed_kmh),
                                step=0.5, key="plan_speed", help=t("orgapp.help.speed"))
        dwell = c6.number_input(t("plan.ui.dwell"), min_value=0, max_value=600,
                                value=int(defaults.minutes_per_site), step=1, key="plan_dwell",
                                help=t("orgapp.help.dwell"))
        back = st.checkbox(t("plan.ui.return"), value=defaults.return_to_start, key="plan_return",
                           help=t("orgapp.help.return"))
        submitted = st.form_submit_button(t("plan.ui.make"), type="primary")
    if not submitted:
        return None
    if start.strip():
        try:
            where = resolve_start(start, list(placed.values()), _geocoder(ctx), near=ctx.event.config.area.municipality)
        except WikitownError as exc:
            st.error(t("plan.ui.bad_start", value=md_escape(start.strip()), why=md_escape(exc.message(ctx.lang))))
            return None
    elif site_id:
        where = Start(placed[site_id].lat, placed[site_id].lon, placed[site_id].name, site_id)
    else:
        area = ctx.event.config.area
        where = Start(area.lat, area.lon, "")
    return PlanSettings(where.lat, where.lon, teams=int(teams), minutes=float(minutes) or None,
                        return_to_start=bool(back), detour=float(detour), speed_kmh=float(speed),
                        minutes_per_site=float(dwell), start_label=where.label)


def _geocoder(ctx: Context):
    from wikitown.core.paths import home_dir
    from wikitown.sources.nominatim import Geocoder

    return Geocoder(ctx.event.service("nominatim"), cache_path=home_dir() / "cache" / "geocode.json",
                    contact=ctx.event.config.contact, timeout=5)


def _summary(ctx: Context, plan: Plan) -> None:
    t = ctx.t
    frame = pd.DataFrame([{
        t("plan.ui.col.team"): r.team, t("plan.ui.col.sites"): len(r.stops),
        t("plan.ui.col.km"): round(r.walk_m / 1000, 2), t("plan.ui.col.minutes"): round(r.total_min),
        t("plan.ui.col.over"): round(r.over_min)} for r in plan.routes])
    st.dataframe(frame, hide_index=True, width="stretch", key="plan_summary")
    if plan.settings.minutes:
        if plan.warnings:
            for team, over in plan.warnings:
                st.warning(t("plan.warning.over", team=team, minutes=round(over)))
        else:
            st.success(t("plan.ui.fits"))


def site_label_place(row: dict | None) -> str:
    return (row.get("municipality") or row.get("address") or "") if row else ""


def _map(ctx: Context, plan: Plan) -> None:
    t = ctx.t
    s = plan.settings
    paths, points, legend = [], [], []
    for r in plan.routes:
        if not r.stops:
            continue
        colour = [int(team_colour(r.team)[i:i + 2], 16) for i in (1, 3, 5)]
        coords = [[s.start_lon, s.start_lat]] + [[x.site.lon, x.site.lat] for x in r.stops]
        if s.return_to_start:
            coords.append([s.start_lon, s.start_lat])
        paths.append({"team": r.team, "path": coords, "color": colour})
        legend.append((colour, t("orgapp.map.team", team=r.team, count=len(r.stops))))
        points += [{"name": f"{r.team}-{x.seq} {x.site.name}", "lat": x.site.lat, "lon": x.site.lon,
                    "color": colour, "site_id": x.site.id} for x in r.stops]
    if not points:
        return
    layers = [
        pdk.Layer("PathLayer", data=paths, get_path="path", get_color="color", width_min_pixels=2),
        pdk.Layer("ScatterplotLayer", data=points, get_position="[lon, lat]", get_fill_color="color",
                  get_radius=40, radius_min_pixels=4, pickable=True, id="plan_sites", **maps.RIM),
        pdk.Layer("ScatterplotLayer", data=[{"name": ctx.t("plan.start"), "lat": s.start_lat, "lon": s.start_lon}],
                  get_position="[lon, lat]", get_fill_color=[0, 0, 0], get_radius=60, radius_min_pixels=7,
                  pickable=True, **maps.RIM),
    ]
    view = fit_view([p["lat"] for p in points] + [s.start_lat], [p["lon"] for p in points] + [s.start_lon])
    st.caption(ctx.t("plan.ui.map") + " " + ctx.t("plan.ui.start_map_help"))
    state = st.pydeck_chart(maps.CompactDeck(layers=layers, initial_view_state=view, map_style=None,
                                             tooltip={"text": "{name}"}), key="plan_map", height=MAP_HEIGHT,
                            on_select="rerun", selection_mode="single-object")
    maps.legend(legend + [([0, 0, 0], t("plan.start"))])
    maps.offline_note(t)
    picked = _picked_site(state)
    # a new click makes that stop the start: the list above is drawn already, so run again
    if picked and picked != st.session_state.get("plan_map_picked"):
        st.session_state["plan_map_picked"] = picked
        st.session_state["plan_start_clicked"] = picked
        st.rerun()


MAP_HEIGHT = 480
MAP_WIDTH = 640  # the narrowest the map is drawn at on a laptop; wider screens show more around it


def fit_view(lats: list[float], lons: list[float]) -> pdk.ViewState:
    """A view that shows every point: Web Mercator zoom for the box in MAP_WIDTH × MAP_HEIGHT px
    with a margin (deck.gl's world is 512 px wide at zoom 0)."""
    lat_c = (max(lats) + min(lats)) / 2
    lon_c = (max(lons) + min(lons)) / 2

    def merc_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    width_frac = max((max(lons) - min(lons)) / 360, 1e-6)
    height_frac = max((merc_y(max(lats)) - merc_y(min(lats))) / (2 * math.pi), 1e-6)
    zoom = min(math.log2(MAP_WIDTH * 0.85 / (512 * width_frac)), math.log2(MAP_HEIGHT * 0.85 / (512 * height_frac)))
    return pdk.ViewState(latitude=lat_c, longitude=lon_c, zoom=max(3.0, min(17.0, zoom)))


def _team_tables(ctx: Context, plan: Plan) -> None:
    t = ctx.t
    for r in plan.routes:
        with st.expander(t("plan.ui.team_table", team=r.team) + f" ({len(r.stops)})"):
            frame = pd.DataFrame([{
                t("plan.ui.col.order"): x.seq, t("plan.ui.col.name"): x.site.name,
                t("plan.ui.col.designation"): x.site.designation,
                t("plan.ui.col.needs"): t(f"plan.needs.{'+'.join(x.site.needs) or 'none'}"),
                t("plan.ui.col.leg_m"): round(x.leg_m), t("plan.ui.col.arrival_min"): round(x.arrival_min)}
                for x in r.stops])
            st.dataframe(frame, hide_index=True, width="stretch", key=f"plan_team_{r.team}")


def _edit(ctx: Context, plan: Plan) -> None:
    t = ctx.t
    store = ctx.event.store
    st.markdown(f"**{t('plan.ui.edit')}**")
    options = [(x.site.id, f"{r.team}-{x.seq} {x.site.name}") for r in plan.routes for x in r.stops]
    labels = dict(options)
    with st.form("plan_move"):
        c1, c2, c3 = st.columns([3, 1, 1])
        site_id = c1.selectbox(t("plan.ui.edit.site"), [o[0] for o in options], format_func=labels.get,
                               key="plan_move_site")
        team = c2.number_input(t("plan.ui.edit.team"), min_value=1, max_value=plan.settings.teams, value=1, step=1,
                               key="plan_move_team")
        position = c3.number_input(t("plan.ui.edit.position"), min_value=0, value=0, step=1, key="plan_move_pos")
        moved = st.form_submit_button(t("plan.ui.edit.move"))
    if moved and site_id:
        try:
            new = move_site(plan, site_id, int(team), int(position) or None)
        except WikitownError as exc:
            show_error(ctx, exc)
        else:
            save_plan(store, new)
            seq = next(x.seq for x in new.route(int(team)).stops if x.site.id == site_id)
            name = next(x.site.name for x in new.route(int(team)).stops if x.site.id == site_id)
            st.session_state["plan_flash"] = t("plan.ui.edit.moved", name=md_escape(name), team=int(team),
                                               position=seq)
            st.rerun()
    with st.form("plan_optimise"):
        c1, c2 = st.columns([1, 3])
        team = c1.number_input(t("plan.ui.edit.optimise_team"), min_value=1, max_value=plan.settings.teams,
                               value=1, step=1, key="plan_opt_team")
        go = c2.form_submit_button(t("plan.ui.edit.optimise"))
    if go:
        save_plan(store, optimise_team(plan, int(team)))
        st.rerun()


def _downloads(ctx: Context, plan: Plan) -> None:
    """Downloads do not run the view again (on_click="ignore"): a rerun that replaces the buttons while
    one file is fetched could lose the next click, and nothing on the page changes with a download."""
    t = ctx.t
    event = ctx.event
    st.markdown(f"**{t('plan.ui.downloads')}**")
    saved = event.store.get_kv(BASE_URL_KEY) or public_base_url(event)
    base_url = st.text_input(t("plan.ui.base_url"), value=saved, key="plan_base_url",
                             help=t("orgapp.help.base_url"))
    if base_url != saved and base_url.strip():
        event.store.set_kv(BASE_URL_KEY, base_url.strip())
    link = join_url(base_url, event.slug, event.config.code)
    st.text(link)
    if is_local_url(base_url):
        st.warning(t("phone.sheets.local_url", url=base_url))
    stamp = (tuple(tuple(r.site_ids) for r in plan.routes), plan.settings.to_dict().__repr__(), link, ctx.lang)
    if st.button(t("plan.ui.prepare"), key="plan_prepare"):
        files = plan_bundle(plan, event_name=event.config.name, join_link=link, code=event.config.code,
                            lang=ctx.lang)
        st.session_state["plan_files"] = (stamp, files)
    prepared = st.session_state.get("plan_files")
    if prepared and prepared[0] == stamp:
        files = prepared[1]
        st.download_button(t("plan.ui.download_zip"), zip_bundle(files, f"{event.slug}-plan"),
                           file_name=f"{event.slug}-plan.zip", mime="application/zip", key="plan_dl_zip",
                           on_click="ignore")
        cols = st.columns(3)
        for i, name in enumerate(n for n in files if n.startswith("team-")):
            team = int(name.split("-")[1].split(".")[0])
            kind = "pdf" if name.endswith(".pdf") else "gpx"
            cols[i % 3].download_button(t(f"plan.ui.download_{kind}", team=team), files[name], file_name=name,
                                        mime="application/pdf" if kind == "pdf" else "application/gpx+xml",
                                        key=f"plan_dl_{name}", on_click="ignore")
    else:
        from wikitown.walk.planner import plan_csv_bytes

        st.download_button(t("plan.ui.download_csv"), lambda: plan_csv_bytes(plan), file_name="plan.csv",
                           mime="text/csv", key="plan_dl_csv", help=t("orgapp.help.plan_csv"),
                           on_click="ignore")


def render(ctx: Context) -> None:
    t = ctx.t
    store = ctx.event.store
    st.subheader(t("plan.ui.title"))
    st.caption(t("plan.ui.intro"))
    usable, left, scope = plan_sites(ctx.event)
    st.info(t(f"plan.ui.scope.{scope}", count=len(usable)))
    plan = load_plan(store)
    area = ctx.event.config.area
    defaults = plan.settings if plan else PlanSettings(area.lat, area.lon)
    settings = _settings_form(ctx, defaults, [s.site for s in usable])
    if settings is not None:
        if not usable:
            st.warning(t("plan.ui.no_sites"))
        else:
            try:
                plan, _scope = plan_event(ctx.event, settings)  # the same call as `wikitown plan --event`
            except WikitownError as exc:
                show_error(ctx, exc)
            else:
                st.success(t("plan.ui.made"))
    flash = st.session_state.pop("plan_flash", None)
    if flash:
        st.success(flash)
    if plan is None:
        st.info(t("plan.ui.none"))
        return
    if plan.settings.start_label:
        st.caption(t("plan.ui.start_is", label=md_escape(plan.settings.start_label)))
    for key, params in plan.notes:
        st.caption(t(key, **params))
    planned = {sid for r in plan.routes for sid in r.site_ids}
    unplanned = [s for s in usable if s.chosen and s.id not in planned]
    if unplanned:
        st.warning(t("plan.ui.unplanned", count=len(unplanned)))
    not_chosen = planned - {s.id for s in usable}
    if not_chosen:
        st.warning(t("plan.ui.not_chosen", count=len(not_chosen)))
    if plan.left_out:
        from wikitown.walk.planner import left_out_csv_bytes

        with st.expander(t("plan.ui.left_out", count=len(plan.left_out))):
            names = site_names(ctx.event)
            st.dataframe(pd.DataFrame([{t("plan.ui.col.name"): x.name,
                                        t("orgapp.col.place"): site_label_place(names.get(x.site_id)),
                                        t("plan.ui.col.reason"): t(f"plan.left_out.{x.reason}")}
                                       for x in plan.left_out]),
                         hide_index=True, width="stretch", key="plan_left_out")
            st.download_button(t("plan.ui.left_out_csv"), left_out_csv_bytes(plan), file_name="left_out.csv",
                               mime="text/csv", key="plan_dl_left_out", on_click="ignore")
    _summary(ctx, plan)
    _map(ctx, plan)
    _team_tables(ctx, plan)
    if any(r.stops for r in plan.routes):
        _edit(ctx, plan)
        _downloads(ctx, plan)
