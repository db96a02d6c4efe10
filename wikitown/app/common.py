"""The page frame: language, event, sign-in, and small display helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from wikitown.finds import access
from wikitown.core.errors import TooManyAttempts, WikitownError
from wikitown.gaps.collect import load_configured_opendata
from wikitown.store.events import DEMO_EVENT, Event, list_events, open_event
from wikitown.core.markdown import markdown_text
from wikitown.core.i18n import LANGUAGES, normalise_lang, translator


@dataclass
class Context:
    event: Event
    lang: str
    t: object  # translator bound to ``lang``
    role: str | None


def current_lang() -> str:
    if "lang" not in st.session_state:
        st.session_state["lang"] = normalise_lang(st.query_params.get("lang"))
    return st.session_state["lang"]


def _on_language_change() -> None:
    choice = st.session_state.get("lang_switch")
    if choice:
        st.session_state["lang"] = choice
        st.query_params["lang"] = choice


def language_switch() -> str:
    """A language switch at the top of every page (phones hide the sidebar)."""
    lang = current_lang()
    if st.session_state.get("lang_switch") != lang:
        st.session_state["lang_switch"] = lang  # follow a change made elsewhere (query string, tests)
    labels = {"ja": "日本語", "en": "English"}
    st.segmented_control(translator(lang)("app.language"), LANGUAGES, format_func=labels.get, key="lang_switch",
                         label_visibility="collapsed", on_change=_on_language_change)
    return st.session_state["lang"]


def _default_event_slug(paths: list[Path]) -> str | None:
    wanted = st.query_params.get("event") or os.environ.get("WIKITOWN_EVENT") or DEMO_EVENT
    names = [p.name for p in paths]
    if wanted in names:
        return wanted
    return names[0] if names else None


@st.cache_resource(show_spinner=False)
def _open_event_cached(path: str, mtime: float) -> Event:
    # Cached per config version so every rerun does not reopen the store.
    event = open_event(path)
    access.ensure_demo_passphrases(event.dir, event.config.demo)
    load_configured_opendata(event)
    return event


def get_event(t) -> Event | None:
    paths = list_events()
    if not paths:
        st.info(t("app.no_events"))
        return None
    slug = st.session_state.get("event_slug") or _default_event_slug(paths)
    names = [p.name for p in paths]
    if slug not in names:
        slug = names[0]
    st.session_state["event_slug"] = slug
    path = paths[names.index(slug)]
    try:
        return _open_event_cached(str(path), (path / "event.toml").stat().st_mtime)
    except WikitownError as exc:
        st.error(t("app.event_error", name=slug, error=exc.message(current_lang())))
        return None


def event_picker(t) -> None:
    """Let staff switch between events (participants stay in the one they joined)."""
    paths = list_events()
    if len(paths) < 2:
        return
    names = [p.name for p in paths]
    current = st.session_state.get("event_slug") or names[0]
    choice = st.selectbox(t("app.event"), names, index=names.index(current) if current in names else 0)
    if choice != current:
        st.session_state["event_slug"] = choice
        st.rerun()


def role_for(event: Event) -> str | None:
    role = st.session_state.get("roles", {}).get(str(event.dir))
    if role is None:
        role = _cookie_role(event)
    return role


def _cookie_role(event: Event) -> str | None:
    """The staff role of a sign-in that survives reloads (an HttpOnly cookie set by /auth/signin)."""
    from wikitown.web.signin import cookie_name, role_from_cookie

    try:
        value = st.context.cookies.get(cookie_name(event.slug))
    except Exception:  # no request context (AppTest)
        return None
    return role_from_cookie(value, event.dir)


def set_role(event: Event, role: str | None) -> None:
    roles = dict(st.session_state.get("roles", {}))
    if role:
        roles[str(event.dir)] = role
    else:
        roles.pop(str(event.dir), None)
    st.session_state["roles"] = roles


def _client_id() -> str:
    """The throttling bucket's client. Only a real address string counts: anything else (no
    request context; AppTest's stand-in object, whose text differs on every run) is one shared
    bucket, so wrong guesses can never escape the count by looking new each time."""
    try:
        ip = st.context.ip_address
    except Exception:  # older Streamlit or no request context
        return ""
    return ip if isinstance(ip, str) else ""


def join_form(event: Event, t) -> None:
    st.subheader(t("app.join.title"))
    with st.form("join"):
        code = st.text_input(t("app.join.code"), value=st.query_params.get("code", ""))
        submitted = st.form_submit_button(t("app.join.button"))
    if submitted:
        try:
            ok = access.check_event_code(event.dir, event.config.code, code, _client_id())
        except TooManyAttempts as exc:
            st.error(exc.message(current_lang()))
            return
        if ok:
            if role_for(event) not in ("librarian", "organizer"):
                set_role(event, "participant")
            st.rerun()
        else:
            st.error(t("app.join.wrong"))


def login_form(event: Event, role: str, t) -> None:
    role_name = t(f"app.role.{role}")
    # Staff of a second event choose it before signing in (its passphrase fits no other event).
    event_picker(t)
    st.subheader(t("app.login.title", role=role_name))
    if not access.has_passphrase(event.dir, role):
        st.warning(t("app.login.not_set", path=event.dir, role=role))
        return
    if event.config.demo:
        st.caption(t("app.login.demo_hint", passphrase=access.DEMO_PASSPHRASES[role]))
    with st.form(f"login_{role}"):
        phrase = st.text_input(t("app.login.passphrase"), type="password")
        submitted = st.form_submit_button(t("app.login.button"))
    if submitted:
        try:
            ok = access.check_passphrase(event.dir, role, phrase, _client_id())
        except TooManyAttempts as exc:
            st.error(exc.message(current_lang()))
            return
        if ok:
            set_role(event, role)
            st.rerun()
        else:
            st.error(t("app.login.wrong"))
    # The same sign-in, kept across reloads for the day (an HttpOnly cookie set by the server).
    st.link_button(t("phone.signin.remember"), f"/auth/signin?event={event.slug}&role={role}&lang={current_lang()}")


def page_context(page: str) -> Context | None:
    """Frame a page: event, language, access. Returns None (page stops) when the
    visitor may not see it; shows the join or sign-in form instead."""
    lang = current_lang()
    t = translator(lang)
    event = get_event(t)
    if event is None:
        st.stop()
    role = role_for(event)
    if page != "home" and not access.can_open(role, page):
        if page == "participant":
            join_form(event, t)
        else:
            login_form(event, page, t)
        st.stop()
    if page in ("organizer", "librarian") and role in ("organizer", "librarian") and _cookie_role(event):
        st.link_button(t("phone.signin.signout"), f"/auth/signout?event={event.slug}&lang={lang}")
    return Context(event, lang, t, role)


def attribution(ctx: Context) -> None:
    if ctx.event.config.attribution:
        st.caption(ctx.t("app.attribution", text=ctx.event.config.attribution))


def show_error(ctx: Context, exc: WikitownError) -> None:
    st.error(exc.message(ctx.lang))


# Text someone typed inside a message Streamlit renders as Markdown.
md_escape = markdown_text


def plain_text(text: str) -> None:
    """Show user-written text as text: never as Markdown or HTML."""
    st.text(text or "")
