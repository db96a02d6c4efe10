"""What every map of the app shares: a colour legend, the offline note, pins that stay readable on
a blank background, and aggregation when there are too many points to send to a browser."""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st

# Above this many points a map shows cells (a count each) instead: 20,000 pins are megabytes of
# JSON on every click and an unreadable blot at a prefecture's zoom.
MAX_POINTS = 2500
# Pins keep a white rim: offline the background tiles stay blank, and a rim also parts pins from
# a busy map.
RIM = {"stroked": True, "get_line_color": [255, 255, 255, 230], "line_width_min_pixels": 1}


def _text_width(text: str, size: int) -> float:
    # wide (CJK) characters take about a full em, others about half: enough to lay out a legend
    return sum(size if ord(c) > 0x2E7F else size * 0.6 for c in text)


def legend_svg(items: list[tuple[list[int], str]], *, width: int = 720, size: int = 13) -> str:
    """A legend as an SVG picture: a swatch and its meaning per item, wrapped into rows. A picture
    (shown by an <img>), not HTML in the page: the app has no raw-HTML path for this."""
    x, y, row_h, parts = 4.0, 0.0, size + 10, []
    for colour, label in items:
        item_w = size + 6 + _text_width(label, size) + 18
        if x > 4 and x + item_w > width:
            x, y = 4.0, y + row_h
        r, g, b = (int(v) for v in colour[:3])
        cy = y + row_h / 2
        parts.append(f'<circle cx="{x + size / 2:.1f}" cy="{cy:.1f}" r="{size / 2 - 1:.1f}" fill="rgb({r},{g},{b})" '
                     f'stroke="#fff" stroke-width="1.5"/><circle cx="{x + size / 2:.1f}" cy="{cy:.1f}" '
                     f'r="{size / 2 - 0.2:.1f}" fill="none" stroke="#888" stroke-width="0.6"/>'
                     f'<text x="{x + size + 6:.1f}" y="{cy + size * 0.36:.1f}" font-size="{size}" '
                     f'font-family="sans-serif" fill="#333">{html.escape(label)}</text>')
        x += item_w
    height = y + row_h
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
            f'viewBox="0 0 {width} {height:.0f}">{"".join(parts)}</svg>')


def legend(items: list[tuple[list[int], str]]) -> None:
    """The colour legend under a map (labels are our own messages, escaped for XML all the same)."""
    st.image(legend_svg(items))


def offline_note(t) -> None:
    st.caption(t("orgapp.map.offline"))


def hex_colour(value: str) -> list[int]:
    return [int(value[i:i + 2], 16) for i in (1, 3, 5)]


def aggregate(frame: pd.DataFrame, key_column: str, cells: int = 40) -> pd.DataFrame:
    """Points binned into about ``cells`` x ``cells`` squares over their extent: one row per
    occupied square with its centre (mean position, 5 decimals), ``count`` and the count per
    ``key_column`` value (``n_<value>``), for maps with more than :data:`MAX_POINTS` points."""
    lat, lon = frame["lat"].to_numpy(dtype=float), frame["lon"].to_numpy(dtype=float)
    step = max(lat.max() - lat.min(), (lon.max() - lon.min()) * math.cos(math.radians(lat.mean())), 1e-4) / cells
    cell = pd.DataFrame({"lat": lat, "lon": lon, "key": frame[key_column].fillna("").astype(str).to_numpy(),
                         "cell": (lat // step).astype(np.int64) * 1_000_003 + (lon // step).astype(np.int64)})
    out = cell.groupby("cell").agg(lat=("lat", "mean"), lon=("lon", "mean"), count=("lat", "size"))
    per_key = cell.groupby(["cell", "key"]).size().unstack(fill_value=0)
    out = out.join(per_key.add_prefix("n_"))
    out[["lat", "lon"]] = out[["lat", "lon"]].round(5)
    return out.reset_index(drop=True)


class CompactDeck(pdk.Deck):
    """A pydeck Deck sent as compact JSON: pydeck indents its JSON and escapes every Japanese
    character (2,000 points were 690 KB a rerun; about a third of that compact)."""

    def to_json(self):
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False)
