"""Drafts: list by state, editor with checks on save, hints, preview, review actions, history.

Usable from any page whose role may write (librarian, organizer, and participants as writers)."""

from __future__ import annotations

import re

import streamlit as st
import streamlit.components.v1 as components

from wikitown.app.common import Context, md_escape, plain_text, show_error
from wikitown.drafts import builder as drafts
from wikitown.drafts import edits, review
from wikitown.app.cache import site_label, site_names
from wikitown.core.errors import WikitownError, reason_words
from wikitown.core.timefmt import short_time

# The summary drafts.builder gives a first draft (stored in English: the wiki's history may read it).
FIRST_DRAFT_SUMMARY = "wikitown: first draft from the site's data"


def summary_words(ctx: Context, summary: str | None) -> str:
    """A revision's summary as shown: the first draft's English one in the user's language."""
    summary = summary or ""
    if summary == FIRST_DRAFT_SUMMARY:
        return ctx.t("orgapp.drafts.first_summary")
    asked = re.fullmatch(re.escape(FIRST_DRAFT_SUMMARY) + r" \(asked by (.*)\)", summary)
    return ctx.t("orgapp.drafts.first_summary_by", author=asked.group(1)) if asked else summary


def _open_draft(site_id: str) -> None:
    st.session_state["draft_site"] = site_id


def _author(ctx: Context) -> str:
    return st.session_state.get("draft_author") or ctx.t(f"app.role.{ctx.role}" if ctx.role else "app.role.none")


def render(ctx: Context) -> None:
    t = ctx.t
    store = ctx.event.store
    st.subheader(t("drafts.title"))
    st.text_input(t("drafts.author"), key="draft_author")
    rows = site_names(ctx.event)
    names = {site_id: site_label(row) for site_id, row in rows.items()}
    state = st.selectbox(t("drafts.filter"), ["", *review.STATES],
                         format_func=lambda s: t(f"drafts.state.{s}") if s else t("drafts.all"), key="draft_filter")
    listed = review.list_drafts(store, state or None)
    # Each draft opens in the editor below (a button drawn as a link; labels render Markdown, so the
    # title and the site's name, typed by people, are escaped).
    for d in listed:
        st.button(f"{t('drafts.state.' + d.state)} ｜ {md_escape(d.title)} ｜ {md_escape(names.get(d.site_id, ''))}",
                  key=f"draft_open_{d.id}", type="tertiary", on_click=_open_draft, args=(d.site_id,),
                  help=t("orgapp.drafts.open_help"))
    if not rows:
        st.info(t("drafts.no_sites"))
        return
    site_id = st.selectbox(t("drafts.site"), list(names), format_func=names.get, key="draft_site")
    draft = review.draft_for_site(store, site_id)
    if draft is None:
        target = edits.target_for(store, site_id)
        if target is None or ctx.role == "organizer":
            choose_title(ctx, site_id, rows[site_id]["name"], target)
        if target is None:
            return
        if target.mode == "edit":
            st.info(t("drafts.will_edit", title=md_escape(target.title)))
        check_wiki = st.checkbox(t("drafts.check_title"), value=True, key="draft_check_title")
        if st.button(t("drafts.create"), key="draft_create"):
            try:
                draft, check = drafts.open_draft(ctx.event, site_id, author=_author(ctx), role=ctx.role or "",
                                                 check_wiki=check_wiki)
            except WikitownError as exc:
                show_error(ctx, exc)
                return
            st.session_state["title_check"] = (check.status, check.title, check.reason) if check else None
        else:
            return
    editor(ctx, draft)


def choose_title(ctx: Context, site_id: str, name: str, target) -> None:
    """The organizer's choice of title: required for an ambiguous site, possible for any site
    without a draft (an article matched by name may be about something else)."""
    t = ctx.t
    store = ctx.event.store
    if target is None:
        st.warning(t("drafts.choose.help", name=md_escape(name),
                     title=md_escape(edits.ambiguous_title(store, site_id))))
        if ctx.role != "organizer":
            st.info(t("drafts.choose.organizer_only"))
            return
    box = st.container() if target is None else st.expander(t("drafts.choose.title"))
    with box:
        mode = st.radio(t("drafts.choose.mode"), list(edits.MODES), format_func=lambda m: t(f"drafts.choose.mode.{m}"),
                        key=f"choose_mode_{site_id}", horizontal=True)
        title = st.text_input(t("drafts.choose.input"), value=(target.title if target else ""),
                              key=f"choose_title_{site_id}")
        if st.button(t("drafts.choose.button"), key=f"choose_button_{site_id}"):
            try:
                chosen = edits.choose_title(store, site_id, title, mode, by=_author(ctx))
            except WikitownError as exc:
                show_error(ctx, exc)
            else:
                st.session_state["draft_choice_flash"] = t(f"drafts.choose.saved.{chosen.mode}",
                                                             title=md_escape(chosen.title))
                st.rerun()
    flash = st.session_state.pop("draft_choice_flash", None)
    if flash:
        st.success(flash)


def editor(ctx: Context, draft: review.Draft) -> None:
    t = ctx.t
    store = ctx.event.store
    check = st.session_state.pop("title_check", None)
    if check:
        st.info(t(f"drafts.title_status.{check[0]}", title=md_escape(check[1]),
                  reason=md_escape(reason_words(check[2] or "", ctx.lang))))
    st.markdown(f"**{t('drafts.state_label')}:** {t('drafts.state.' + draft.state)}")
    current = review.get_revision(store, draft.current_revision_id)
    base = edits.base_of(store, draft.id)
    if base is not None:
        st.info(t("drafts.edit_of", title=md_escape(base.title), revid=base.revid))
        refreshed = st.session_state.pop("draft_refreshed", None)
        if refreshed:
            st.success(t("drafts.refreshed", revid=refreshed))
        if draft.state != "published" and st.button(t("drafts.refresh"), key=f"draft_refresh_{draft.id}"):
            try:
                new_base = edits.refresh_base(ctx.event, draft.id, author=_author(ctx), role=ctx.role or "")
            except WikitownError as exc:
                show_error(ctx, exc)
            else:
                st.session_state["draft_refreshed"] = new_base.revid
                st.rerun()
    left, right = st.columns([3, 2])
    with left:
        key = f"draft_text_{draft.id}_{current.id}"
        title = st.text_input(t("drafts.article_title"), value=draft.title, key=f"draft_title_{draft.id}_{current.id}")
        text = st.text_area(t("drafts.wikitext"), value=current.wikitext, height=480, key=key)
        summary = st.text_input(t("drafts.summary"), key=f"draft_summary_{draft.id}")
        if st.button(t("drafts.save"), key=f"draft_save_{draft.id}", disabled=draft.state == "published"):
            try:
                rev_id, findings = drafts.save(ctx.event, draft.id, text, author=_author(ctx), role=ctx.role or "",
                                               summary=summary, base_revision_id=current.id, title=title)
            except WikitownError as exc:
                show_error(ctx, exc)
            else:
                st.session_state["saved_findings"] = (rev_id, [f.message(ctx.lang, markdown=True) for f in findings])
                st.rerun()
        saved = st.session_state.pop("saved_findings", None)
        if saved:
            st.success(t("drafts.saved", id=saved[0]))
        findings = drafts.check_draft(store, draft.id)
        st.markdown(f"**{t('drafts.findings', count=len(findings))}**")
        for f in findings:
            st.warning(f.message(ctx.lang, markdown=True))
    with right:
        st.markdown(f"**{t('drafts.hints')}**")
        st.caption(t("drafts.hints_help"))
        hints = drafts.hints_for_site(store, draft.site_id)
        if not hints:
            st.caption(t("drafts.no_hints"))
        for h in hints:
            who = h.author or t(f"drafts.hint.{h.source}")
            plain_text(f"{who} {short_time(h.when, ctx.lang)}: {h.text}")
            if h.fields:
                plain_text(", ".join(f"{k}: {v}" for k, v in h.fields.items()))
    if base is not None:
        st.markdown(f"**{t('drafts.edit_diff')}**")
        st.code(review.diff_text(base.wikitext, text, f"{base.title} r{base.revid}", t("drafts.edit_draft"))
                or t("drafts.no_diff"), language="diff")
    preview_block(ctx, draft, text)
    actions(ctx, draft, current)
    history(ctx, draft)


def preview_block(ctx: Context, draft: review.Draft, text: str) -> None:
    t = ctx.t
    if not st.button(t("drafts.preview"), key=f"draft_preview_{draft.id}"):
        return
    result = drafts.preview(text, draft.title, drafts.wiki_api(ctx.event))
    if not result.online:
        st.info(t("drafts.preview_offline", reason=reason_words(result.reason or "", ctx.lang)))
        st.code(text, language=None)
        return
    if result.missing_templates:
        st.warning(t("drafts.missing_templates", names=", ".join(result.missing_templates)))
    if result.missing_categories:
        st.caption(t("drafts.missing_categories", names=", ".join(result.missing_categories)))
    # The wiki's own sanitised HTML, inside the component's iframe (scripts of ours never mix with it).
    components.html(result.html, height=600, scrolling=True)


def actions(ctx: Context, draft: review.Draft, current: review.Revision) -> None:
    t = ctx.t
    store = ctx.event.store
    st.markdown(f"**{t('drafts.review_title')}**")
    note = st.text_area(t("drafts.comment"), key=f"draft_comment_{draft.id}")
    allowed = review.allowed_actions(draft.state, ctx.role or "")
    reason = ""
    if "approve" in allowed:
        required = ctx.event.config.approvals_required
        given = review.approvals(store, draft.id)
        if required > 1:
            st.caption(t("drafts.approvals", given=len(given), required=required, names="、".join(given) or "-"))
        if drafts.check_draft(store, draft.id):
            reason = st.text_input(t("drafts.override_reason"), key=f"draft_override_{draft.id}")
    cols = st.columns(len(allowed) + 1)
    with cols[0]:
        if st.button(t("drafts.add_comment"), key=f"draft_addcomment_{draft.id}"):
            try:
                review.comment(store, draft.id, current.id, note, author=_author(ctx), role=ctx.role or "")
                st.rerun()
            except WikitownError as exc:
                show_error(ctx, exc)
    for col, action in zip(cols[1:], review.allowed_actions(draft.state, ctx.role or "")):
        with col:
            if st.button(t(f"drafts.action.{action}"), key=f"draft_{action}_{draft.id}"):
                try:
                    drafts.act(ctx.event, draft.id, action, author=_author(ctx), role=ctx.role or "",
                               comment=note, override_reason=reason if action == "approve" else "")
                    st.rerun()
                except WikitownError as exc:
                    show_error(ctx, exc)


def history(ctx: Context, draft: review.Draft) -> None:
    t = ctx.t
    store = ctx.event.store
    with st.expander(t("drafts.history")):
        for entry in review.review_log(store, draft.id):
            action = t(f"drafts.action.{entry['action']}")
            plain_text(f"{short_time(entry['created_at'], ctx.lang)} r{entry['revision_id']} {entry['author']} {action}: "
                       f"{entry['comment'] or ''}")
        revs = review.revisions(store, draft.id)
        labels = {r.id: f"r{r.id} {short_time(r.created_at, ctx.lang)} {r.author} {summary_words(ctx, r.summary)}"
                  for r in revs}
        for r in revs:
            plain_text(labels[r.id])
        if len(revs) >= 2:
            ids = [r.id for r in revs]
            a = st.selectbox(t("drafts.diff_from"), ids, index=len(ids) - 2, format_func=labels.get,
                             key=f"diff_a_{draft.id}")
            b = st.selectbox(t("drafts.diff_to"), ids, index=len(ids) - 1, format_func=labels.get,
                             key=f"diff_b_{draft.id}")
            st.code(review.diff(store, a, b) or t("drafts.no_diff"), language="diff")
