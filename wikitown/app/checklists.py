"""Organizer tab: the event's checklists, ticks saved in the event's store."""

from __future__ import annotations

import streamlit as st

from wikitown.app.common import Context
from wikitown.core.markdown import Markdown
from wikitown.walk.checklists import load_checklists, progress, set_tick, ticks


def _on_change(ctx: Context, checklist: str, item: str, key: str) -> None:
    set_tick(ctx.event.store, checklist, item, bool(st.session_state.get(key)), by=ctx.role or "")


def render(ctx: Context) -> None:
    t = ctx.t
    st.subheader(t("checklists.ui.title"))
    st.caption(t("checklists.ui.intro"))
    checklists, problems = load_checklists(ctx.event.dir)
    for problem in problems:
        st.error(t("checklists.ui.bad_file", problem=problem))
    state = ticks(ctx.event.store)
    for checklist in checklists:
        done, total = progress(checklist, state)
        # Checklists are the event's own Markdown (their items are shown as such): not escaped.
        with st.expander(t("checklists.ui.heading", title=Markdown(checklist.title(ctx.lang)), done=done,
                           total=total),
                         expanded=done < total and checklist.name.startswith("organizer")):
            section = None
            for item in checklist.items:
                if item.section != section:
                    section = item.section
                    heading = checklist.section(section, ctx.lang)
                    if heading:
                        st.markdown(f"**{heading}**")
                key = f"cl_{checklist.name}_{item.id}"
                info = state.get((checklist.name, item.id), {})
                st.session_state.setdefault(key, bool(info.get("checked")))
                st.checkbox(item.text(ctx.lang), key=key, on_change=_on_change,
                            args=(ctx, checklist.name, item.id, key))
