"""Reads the organizer's views share, cached per revision of the event's sites.

A prefecture's list holds 10,000-20,000 sites: reading them all (and scoring their priority) on
every click cost seconds. The cache key is the sites table's revision: its row count, its latest
``updated_at``, the sums of the coordinates, its provenance rows and a token the app renews on its
own writes (``updated_at`` has one-second steps: two quick writes would otherwise look like one). A
write from elsewhere (the command line, a script) changes one of them and so brings a new read.

The walk targets (``selected``) change with every tick, so they are not part of that read: they
are read on every run (one small query) and laid over the cached frame, and ticking 2,000 targets
at a prefecture's size costs milliseconds, not a new read of 20,000 sites.

The cached frames are shared by every session: callers never change them in place (filtering
and ``.copy()`` make new frames)."""

from __future__ import annotations

import hashlib
import uuid

import pandas as pd
import streamlit as st

from wikitown.store.db import Store
from wikitown.store.sites import selected_site_ids, site_places, sites_fingerprint

REVISION_KEY = "app.sites_revision"
# What the views show, filter and rank by; other_articles is read only when a file is exported, and of
# data only the wiki's evidence is kept.
VIEW_COLUMNS = ["id", "name", "name_key", "name_kana", "name_en", "designation", "designation_level", "category",
                "kind", "kind_origin", "municipality", "municipality_origin", "address", "owner", "issues", "lat",
                "lon", "coord_status", "wikidata_id", "commons_category", "image", "article_status", "article_title",
                "has_photo", "selected", "updated_at", "data"]


def sites_revision(store: Store) -> tuple:
    """A cheap fingerprint that changes whenever the sites change, their selection aside (a few ms
    at 20,000 sites)."""
    return (*sites_fingerprint(store), store.get_kv(REVISION_KEY))


def sites_changed(store: Store) -> None:
    """Say that the app just changed sites (merge, split, import, the wiki asked): cached reads are
    stale. (A change of walk targets needs no word: they are read on every run.)"""
    store.set_kv(REVISION_KEY, uuid.uuid4().hex)


def selected_ids(store: Store) -> frozenset[str]:
    """The walk targets, now."""
    return selected_site_ids(store)


@st.cache_resource(show_spinner=False, max_entries=8)
def _ranked_sites(url: str, revision: tuple, area_key: tuple, _store: Store, _area) -> pd.DataFrame:
    from wikitown.gaps.collect import with_priority
    from wikitown.store.sites import sites_frame

    frame = sites_frame(_store, VIEW_COLUMNS)
    # of a site's data the views use only what the wiki said (the status notes): keep just that
    frame["data"] = [{"article_evidence": d["article_evidence"]} if isinstance(d, dict) and d.get("article_evidence")
                     else None for d in frame["data"]]
    return with_priority(frame, _area) if len(frame) else frame


def ranked_sites(event) -> pd.DataFrame:
    """Every site with its ``priority``, highest first, and whether it is a walk target now."""
    area = event.config.area
    frame = _ranked_sites(event.store.url, sites_revision(event.store), (area.lat, area.lon, area.radius_km),
                          event.store, area)
    if frame.empty:
        return frame
    return frame.assign(selected=frame["id"].isin(selected_ids(event.store)))


@st.cache_resource(show_spinner=False, max_entries=8)
def _site_names(url: str, revision: tuple, _store: Store) -> dict[str, dict]:
    return site_places(_store)


def site_names(event) -> dict[str, dict]:
    """id -> {id, name, municipality, address, lat, lon} for every site, by name (read-only)."""
    return _site_names(event.store.url, sites_revision(event.store), event.store)


def site_label(row: dict) -> str:
    """A site as people know it: its name, and where it is when the name alone is ambiguous."""
    place = row.get("municipality") or row.get("address") or ""
    return f"{row['name']}（{place}）" if place else row["name"]


@st.cache_resource(show_spinner=False, max_entries=8)
def _plan_sites(url: str, revision: tuple, chosen: str, _store: Store):
    from wikitown.walk.planner import event_sites

    return event_sites(_store)


def plan_sites(event):
    """``walk.planner.event_sites`` (walkable, left out, scope), read once per sites revision."""
    chosen = hashlib.sha1("\x1f".join(sorted(selected_ids(event.store))).encode()).hexdigest()
    return _plan_sites(event.store.url, sites_revision(event.store), chosen, event.store)
