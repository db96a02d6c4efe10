"""The organizer's report tab, and a participant's own outcomes."""

from __future__ import annotations

import streamlit as st

from ui.common import Context, plain_text
from wikitown.report import build_report, participant_outcomes, to_csv, to_html, to_markdown, to_wikitext


def render(ctx: Context) -> None:
    st.subheader(ctx.t("report.app.title"))
    confirm = st.button(ctx.t("report.app.confirm"), key="report_confirm")
    with st.spinner():
        report = build_report(ctx.event, confirm_with_wiki=confirm)
    # The Markdown export is wikitown's own text with every user value escaped for Markdown tables.
    st.markdown(to_markdown(report, ctx.lang))
    cols = st.columns(4)
    for col, (name, data, mime) in zip(cols, [
            ("report.md", to_markdown(report, ctx.lang), "text/markdown"),
            ("report.html", to_html(report, ctx.lang), "text/html"),
            ("report.csv", "\ufeff" + to_csv(report), "text/csv"),
            ("results.wiki", to_wikitext(report, ctx.lang), "text/plain")]):
        col.download_button(ctx.t("report.app.download", name=name), data.encode("utf-8"), file_name=name,
                            mime=mime, key=f"dl_{name}")


def render_mine(ctx: Context, participant_id: str) -> None:
    st.subheader(ctx.t("report.mine.title"))
    outcomes = participant_outcomes(ctx.event.store, participant_id)
    if not outcomes:
        st.caption(ctx.t("report.mine.none"))
    for o in outcomes:
        with st.container(border=True):
            plain_text(o.note)
            plain_text(ctx.t("report.mine.site", site=o.site_name) if o.site_name else ctx.t("report.mine.unassigned"))
            for title in o.files:
                plain_text(ctx.t("report.mine.photo_published", title=title))
            if o.photos_waiting:
                plain_text(ctx.t("report.mine.photo_waiting"))
            if o.draft_title:
                plain_text(ctx.t("report.mine.article", title=o.draft_title, state=o.draft_state))
