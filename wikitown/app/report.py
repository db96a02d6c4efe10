"""The organizer's report tab, and a participant's own outcomes."""

from __future__ import annotations

import streamlit as st

from wikitown.app.common import Context, plain_text
from wikitown.report import build_report, to_csv_bytes, to_html, to_markdown, to_wikitext


def render(ctx: Context) -> None:
    st.subheader(ctx.t("report.app.title"))
    confirm = st.button(ctx.t("report.app.confirm"), key="report_confirm", help=ctx.t("orgapp.help.report.confirm"))
    with st.spinner():
        report = build_report(ctx.event, confirm_with_wiki=confirm)
    # The Markdown export is wikitown's own text with every user value escaped for Markdown tables.
    st.markdown(to_markdown(report, ctx.lang))
    cols = st.columns(4)
    # Each file is made when its button is pressed, not on every click of the page.
    for col, (name, make, mime) in zip(cols, [
            ("report.md", lambda: to_markdown(report, ctx.lang), "text/markdown"),
            ("report.html", lambda: to_html(report, ctx.lang), "text/html"),
            ("report.csv", lambda: to_csv_bytes(report).decode("utf-8"), "text/csv"),  # BOM and formula guard kept
            ("results.wiki", lambda: to_wikitext(report, ctx.lang), "text/plain")]):
        col.download_button(ctx.t("report.app.download", name=name), lambda make=make: make().encode("utf-8"),
                            file_name=name, mime=mime, key=f"dl_{name}", help=ctx.t(f"orgapp.help.report.{name}"))


def outcome_lines(ctx: Context, outcome) -> None:
    """Under one of the participant's finds: the published files and the article it fed."""
    for title in outcome.files:
        plain_text(ctx.plain("report.mine.photo_published", title=title))
    if outcome.photos_waiting:
        st.caption(ctx.t("report.mine.photo_waiting"))
    if outcome.draft_title:
        plain_text(ctx.plain("report.mine.article", title=outcome.draft_title,
                             state=ctx.plain(f"drafts.state.{outcome.draft_state}")))
