"""The sites map and table (organizer)."""

from __future__ import annotations

import pandas as pd
import pydeck as pdk
import streamlit as st

from ui.common import Context
from wikitown.sites import sites_frame

TABLE_COLUMNS = ["name", "name_kana", "designation", "category", "address", "article_status", "article_title",
                 "has_photo", "coord_status", "lat", "lon", "sources"]


def localised_frame(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """Status codes shown in the user's language; column headers too."""
    view = frame[TABLE_COLUMNS].copy()
    view["article_status"] = [ctx.t(f"status.article.{s or 'unchecked'}") for s in view["article_status"]]
    view["coord_status"] = [ctx.t(f"status.coord.{s or 'missing'}") for s in view["coord_status"]]
    return view.rename(columns={c: ctx.t(f"app.sites.col.{c}") for c in TABLE_COLUMNS})


def site_map(ctx: Context, frame: pd.DataFrame, *, key: str = "site_map") -> None:
    """Points on a map. Drawn with deck.gl, bundled with Streamlit, so the points
    show with no network (only the background tiles stay blank offline)."""
    located = frame.dropna(subset=["lat", "lon"])
    missing = len(frame) - len(located)
    if len(located):
        data = located.assign(status=[ctx.t(f"status.article.{s or 'unchecked'}")
                                      for s in located["article_status"]])
        layer = pdk.Layer("ScatterplotLayer", data=data[["name", "lat", "lon", "status", "designation"]],
                          get_position="[lon, lat]", get_radius=60, radius_min_pixels=4,
                          get_fill_color=[200, 30, 30, 180], pickable=True)
        area = ctx.event.config.area
        view = pdk.ViewState(latitude=float(located["lat"].median()), longitude=float(located["lon"].median()),
                             zoom=12 if area.radius_km <= 10 else 10)
        st.pydeck_chart(pdk.Deck(layers=[layer], initial_view_state=view, map_style=None,
                                 tooltip={"text": "{name}\n{designation}\n{status}"}), key=key)
    if missing:
        st.caption(ctx.t("app.sites.no_coords", count=missing))


def render(ctx: Context) -> None:
    st.subheader(ctx.t("app.sites.title"))
    frame = sites_frame(ctx.event.store)
    if frame.empty:
        st.info(ctx.t("app.sites.none"))
        return
    site_map(ctx, frame)
    st.dataframe(localised_frame(ctx, frame), hide_index=True, width="stretch")
