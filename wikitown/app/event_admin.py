"""The organizer's event tab: this event's settings at a glance, and a new event."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from wikitown.app.common import Context, set_role, show_error
from wikitown.finds import access
from wikitown.core.errors import ConfigError, WikitownError
from wikitown.store.events import create_event, event_path_for, open_event
from wikitown.core.geo import parse_latlon


def _wiki_name(t, code: str) -> str:
    return t(f"orgapp.wiki.{code}") if code in ("ja", "en") else code


def render(ctx: Context) -> None:
    t = ctx.t
    cfg = ctx.event.config
    st.subheader(t("event.ui.current"))
    st.text(ctx.plain("event.ui.summary", name=cfg.name, wiki=_wiki_name(ctx.plain, cfg.wiki), code=cfg.code,
                      lat=cfg.area.lat, lon=cfg.area.lon, radius=cfg.area.radius_km, folder=ctx.event.dir))
    st.caption(t("event.ui.edit_hint", path=ctx.event.dir / "event.toml"), help=t("orgapp.help.event_toml"))
    st.subheader(t("event.ui.new"))
    with st.form("new_event"):
        name = st.text_input(t("event.ui.name"), help=t("orgapp.help.event_name"))
        slug = st.text_input(t("event.ui.slug"), help=t("event.ui.slug_help"))
        center = st.text_input(t("event.ui.center"), placeholder="34.8669,138.3236", help=t("orgapp.help.center"))
        radius = st.number_input(t("event.ui.radius"), min_value=0.1, max_value=200.0, value=3.0, step=0.5,
                                 help=t("orgapp.help.radius"))
        wiki = st.selectbox(t("event.ui.wiki"), ["ja", "en"], format_func=lambda w: _wiki_name(t, w),
                            help=t("orgapp.help.wiki"))
        municipality = st.text_input(t("event.ui.municipality"), help=t("orgapp.help.municipality"))
        municipality_code = st.text_input(t("event.ui.municipality_code"), help=t("orgapp.help.municipality_code"))
        date = st.date_input(t("event.ui.date"), value=None, help=t("orgapp.help.date"), format="YYYY/MM/DD")
        organizer_pw = st.text_input(t("event.ui.organizer_passphrase"), type="password",
                                     help=t("orgapp.help.passphrase"))
        librarian_pw = st.text_input(t("event.ui.librarian_passphrase"), type="password",
                                     help=t("orgapp.help.passphrase"))
        submitted = st.form_submit_button(t("event.ui.create"))
    if not submitted:
        return
    try:
        lat, lon = parse_latlon(center)
    except ValueError:
        st.error(t("event.ui.bad_center"))
        return
    if len(organizer_pw) < access.MIN_PASSPHRASE or len(librarian_pw) < access.MIN_PASSPHRASE:
        st.error(t("error.passphrase_short", min=access.MIN_PASSPHRASE))
        return
    try:
        path = event_path_for(slug)
    except ConfigError:
        st.error(t("orgapp.event.bad_slug", slug=slug))
        return
    try:
        event = create_event(path, name=name.strip(), lat=lat, lon=lon, radius_km=float(radius), wiki=wiki,
                             municipality=municipality.strip(), municipality_code=municipality_code.strip(),
                             start_date=date if isinstance(date, dt.date) else None,
                             end_date=date if isinstance(date, dt.date) else None)
        access.set_passphrase(event.dir, "organizer", organizer_pw)
        access.set_passphrase(event.dir, "librarian", librarian_pw)
    except WikitownError as exc:
        show_error(ctx, exc)
        return
    # The organizer who made it is signed in to it; the sites tab then imports its municipal files.
    set_role(open_event(event.dir), "organizer")
    st.session_state["event_slug"] = event.dir.name
    st.session_state["event_created"] = event.config.code
    st.rerun()


def created_notice(ctx: Context) -> None:
    # Always one element here, so what follows keeps its place when the notice goes on the next run
    # (else the sources panel was drawn afresh: closed, and a file just dropped into it lost).
    box = st.container()
    code = st.session_state.pop("event_created", None)
    if code:
        box.success(ctx.t("event.ui.created", name=ctx.event.config.name, code=code))
