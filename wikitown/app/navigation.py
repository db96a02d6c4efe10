"""Tabs where only the open one runs.

Plain ``st.tabs`` runs every tab's code on every click, so the organizer page cost the sum of its
seven views (4-7 s to sign in; seconds a click at a prefecture's size). Stateful tabs
(``on_change="rerun"``) tell the script which tab is open, and only that view is drawn."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def view_tabs(t, views: dict[str, tuple[str, Callable]], *, key: str, ctx) -> str:
    """Draw the tab bar of ``views`` (id -> (label's message key, render function)) and render
    the open one only. Returns the open view's id. The open view is remembered by id, so it
    stays open when the language (so every label) changes."""
    labels = {view: t(label_key) for view, (label_key, _render) in views.items()}
    remembered = st.session_state.get(f"{key}_id")
    # AppTest has no browser to click a tab: tests open a view by setting ``<key>_goto``. (A browser
    # keeps its own open tab, which a value set here does not change: the app never switches views.)
    wanted = st.session_state.pop(f"{key}_goto", None)
    if wanted in labels:
        st.session_state[key] = labels[wanted]  # before the widget exists in this run: allowed
        remembered = wanted
    if remembered not in labels:
        remembered = next(iter(labels))
    tabs = st.tabs(list(labels.values()), key=key, default=labels[remembered], on_change="rerun")
    current = remembered
    for (view, (_label_key, render)), tab in zip(views.items(), tabs):
        if tab.open:
            current = view
            st.session_state[f"{key}_id"] = view
            with tab:
                render(ctx)
    return current
