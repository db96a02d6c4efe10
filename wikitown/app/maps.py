"""What every map of the app shares: a colour legend, the offline note, pins that stay readable on
a blank background, and aggregation when there are too many points to send to a browser."""

from __future__ import annotations

import html
import math

import pandas as pd
import streamlit as st

# Above this many points a map shows cells (a count each) instead: 20,000 pins are megabytes of
# JSON on every click and an unreadable blot at a prefecture's zoom.
MAX_POINTS = 2500
# Pins keep a white rim: offline the background tiles stay blank, and a rim also parts pins from
# a busy map.
RIM = {"stroked": True, "get_line_color": [255, 255, 255, 230], "line_width_min_pixels": 1}


def legend(items: list[tuple[list[int], str]]) -> None:
    """A row of colour swatches with their meaning, under a map (labels are our own messages)."""
    swatches = " ".join(
        f'<span style="white-space:nowrap;margin-right:1em">'
        f'<span style="display:inline-block;width:0.9em;height:0.9em;border-radius:50%;'
        f'border:1px solid #fff;box-shadow:0 0 0 1px #999;vertical-align:-0.1em;'
        f'background:rgb({int(c[0])},{int(c[1])},{int(c[2])})"></span> {html.escape(label)}</span>'
        for c, label in items)
    st.markdown(f'<div class="wikitown-legend">{swatches}</div>', unsafe_allow_html=True)


def offline_note(t) -> None:
    st.caption(t("orgapp.map.offline"))


def hex_colour(value: str) -> list[int]:
    return [int(value[i:i + 2], 16) for i in (1, 3, 5)]


def aggregate(frame: pd.DataFrame, key_column: str, cells: int = 60) -> pd.DataFrame:
    """Points binned into about ``cells`` x ``cells`` squares over their extent: one row per
    occupied square with its centre (mean position), ``count`` and the count per ``key_column``
    value (``n_<value>``), for maps with more than :data:`MAX_POINTS` points."""
    lat, lon = frame["lat"].astype(float), frame["lon"].astype(float)
    step = max(lat.max() - lat.min(), (lon.max() - lon.min()) * math.cos(math.radians(lat.mean())), 1e-4) / cells
    cell = pd.DataFrame({"lat": lat, "lon": lon, "key": frame[key_column].fillna("").astype(str),
                         "cy": (lat // step).astype(int), "cx": (lon // step).astype(int)})
    grouped = cell.groupby(["cy", "cx"])
    out = grouped.agg(lat=("lat", "mean"), lon=("lon", "mean"), count=("lat", "size"))
    per_key = pd.crosstab([cell["cy"], cell["cx"]], cell["key"])
    out = out.join(per_key.add_prefix("n_"))
    return out.reset_index(drop=True)
