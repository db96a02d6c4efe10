"""The organizer's tab for finds: the queue (no site, or a tie) on a map and a
table, assigning a site to each; all finds with export to open data."""

from __future__ import annotations

import pandas as pd
import pydeck as pdk
import streamlit as st

from wikitown.app import maps
from wikitown.app.cache import site_label, site_names
from wikitown.app.common import Context
from wikitown.app.participant import error_text, md_escape
from wikitown.core.errors import WikitownError
from wikitown.finds.capture import assign_find, counts, list_finds, mark_reviewed, nearest_sites
from wikitown.finds.export import export_rows, to_csv, to_geojson
from wikitown.core.geo import valid_coord
from wikitown.core.timefmt import short_time


# A queued find offers its nearest sites and, when searched, sites by name (not all 20,000).
NEAREST = 30
PICK_LIMIT = 200


def _frame(ctx: Context, rows: list[dict]) -> pd.DataFrame:
    t = ctx.t
    data = [{
        t("finds.col.created_at"): short_time(r["created_at"], ctx.lang),
        t("finds.col.credit"): r["credit"],
        t("finds.col.site"): r["site_name"],
        t("finds.col.status"): t(f"finds.status.{r['match_status']}"),
        t("finds.col.source"): t(f"finds.source.{r['location_source'] or 'none'}"),
        t("finds.col.distance"): r["distance_m"],
        t("finds.col.photos"): len(r["media"]),
        t("finds.col.note"): r["note"],  # st.dataframe shows text as text
        t("finds.col.lat"): r["lat"],
        t("finds.col.lon"): r["lon"],
    } for r in rows]
    return pd.DataFrame(data)


def _map(ctx: Context, queued: list[dict], site_rows: dict) -> None:
    t = ctx.t
    points = [{"lat": r["lat"], "lon": r["lon"], "label": f"{r['credit']} {short_time(r['created_at'], ctx.lang)}"}
              for r in queued if valid_coord(r["lat"], r["lon"])]
    if not points:
        return
    frame = pd.DataFrame(points)
    # The sites around the finds only (a prefecture's list would be megabytes of points).
    pad = 0.01
    box = (frame["lat"].min() - pad, frame["lat"].max() + pad, frame["lon"].min() - pad, frame["lon"].max() + pad)
    located = [{"name": site_label(s), "lat": s["lat"], "lon": s["lon"]} for s in site_rows.values()
               if valid_coord(s["lat"], s["lon"]) and box[0] <= s["lat"] <= box[1] and box[2] <= s["lon"] <= box[3]]
    located = located[:maps.MAX_POINTS]
    site_colour, find_colour = [80, 80, 80, 160], [220, 30, 30, 230]
    layers = [pdk.Layer("ScatterplotLayer", data=pd.DataFrame(located, columns=["name", "lat", "lon"]),
                        get_position="[lon, lat]", get_radius=20, radius_min_pixels=3,
                        get_fill_color=site_colour, pickable=True, **maps.RIM),
              pdk.Layer("ScatterplotLayer", data=frame, get_position="[lon, lat]", get_radius=25,
                        radius_min_pixels=6, get_fill_color=find_colour, pickable=True, **maps.RIM)]
    view = pdk.ViewState(latitude=float(frame["lat"].median()), longitude=float(frame["lon"].median()), zoom=15)
    st.pydeck_chart(maps.CompactDeck(layers=layers, initial_view_state=view, map_style=None,
                             tooltip={"text": "{name}{label}"}), key="finds_queue_map")
    maps.legend([(find_colour, t("orgapp.map.find_queued")), (site_colour, t("orgapp.map.site"))])
    maps.offline_note(t)


def _assign_controls(ctx: Context, row: dict, site_rows: dict) -> None:
    t = ctx.t
    with st.container(border=True):
        thumbs = [str(ctx.event.path(m["thumb_path"])) for m in row["media"] if m.get("thumb_path")]
        if thumbs:
            st.image(thumbs, width=120)
        st.text(f"{row['credit']}  {short_time(row['created_at'], ctx.lang)}")
        if row["note"]:
            st.text(row["note"])
        options, dist = [], {}
        if row["lat"] is not None:
            located = [s for s in site_rows.values() if valid_coord(s["lat"], s["lon"])]
            ranked = nearest_sites(located, row["lat"], row["lon"], limit=NEAREST)
            options = [s["id"] for _, s in ranked]
            dist = {s["id"]: d for d, s in ranked}
            if ranked:
                st.caption(t("finds.queue.reason", distance=f"{ranked[0][0]:.0f}"))
        else:
            st.caption(t("finds.queue.no_location"))
        query = st.text_input(t("orgapp.pick.search"), key=f"finds_assign_query_{row['id']}",
                              help=t("orgapp.pick.search_help", limit=PICK_LIMIT)).strip()
        if query or not options:
            hits = [k for k, s in site_rows.items() if not query or query in s["name"] or query in s["municipality"]
                    or query in s["address"]]
            options += [k for k in hits[:PICK_LIMIT] if k not in set(options)]
        site = st.selectbox(t("finds.queue.site"), options, key=f"finds_assign_site_{row['id']}",
                            format_func=lambda k: site_label(site_rows[k]) + (f" ({dist[k]:.0f} m)" if k in dist else ""),
                            help=t("orgapp.help.assign"))
        if st.button(t("finds.queue.assign"), key=f"finds_assign_{row['id']}", disabled=site is None):
            try:
                assign_find(ctx.event, row["id"], site)
            except WikitownError as exc:
                st.error(error_text(exc, ctx.lang))
                return
            st.session_state["finds_assigned"] = site_rows[site]["name"]
            st.rerun()


def render(ctx: Context) -> None:
    t = ctx.t
    c = counts(ctx.event)
    st.caption(t("finds.all.counts", finds=c.get("finds", 0), matched=c.get("matched", 0),
                 assigned=c.get("assigned", 0), queue=c.get("queue", 0), photos=c.get("photos", 0)))
    assigned = st.session_state.pop("finds_assigned", None)
    if assigned:
        st.success(t("finds.queue.assigned", site=md_escape(assigned)))
    st.subheader(t("finds.queue.title"))
    site_rows = site_names(ctx.event)
    queued = list_finds(ctx.event, status="queue")
    if not queued:
        st.info(t("finds.queue.empty"))
    else:
        st.caption(t("finds.queue.caption", count=len(queued)))
        _map(ctx, queued, site_rows)
        st.dataframe(_frame(ctx, queued), hide_index=True, width="stretch")
        for row in queued[:50]:
            _assign_controls(ctx, row, site_rows)
    st.subheader(t("finds.all.title"))
    everything = list_finds(ctx.event)
    if everything:
        st.dataframe(_frame(ctx, everything), hide_index=True, width="stretch")
        pending = [r for r in everything if not r["reviewed_at"] and r["match_status"] != "queue"]
        if pending and st.button(t("finds.all.mark_reviewed") + f" ({len(pending)})", key="finds_mark_reviewed"):
            for r in pending:
                mark_reviewed(ctx.event, r["id"])
            st.rerun()
        # The files are made when a button is pressed, not on every click of the page.
        col1, col2 = st.columns(2)
        col1.download_button(t("finds.export.button"), lambda: to_csv(export_rows(ctx.event, lang=ctx.lang)),
                             file_name="finds.csv", mime="text/csv", key="finds_export_csv")
        col2.download_button(t("finds.export.geojson"), lambda: to_geojson(export_rows(ctx.event, lang=ctx.lang)),
                             file_name="finds.geojson", mime="application/geo+json", key="finds_export_geojson")
