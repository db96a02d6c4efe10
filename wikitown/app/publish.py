"""The organizer's Publish tab: the plan in full, a BotPassword for this session only,
apply with a progress bar, the journal with failures and a retry, links per site."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from wikitown.app.common import Context, md_escape, show_error
from wikitown.core.errors import WikitownError
from wikitown.core.timefmt import short_time
from wikitown.publish import make_plan, parse_wiki, run_apply, spec_text, wiki_specs
from wikitown.publish.apply import journal
from wikitown.publish.links import site_links
from wikitown.publish.quickstatements import quickstatements_text

JOURNAL_COLUMNS = ["kind", "target", "status", "error", "attempts", "updated_at"]


def _key(ctx: Context, name: str) -> str:
    return f"publish_{name}_{ctx.event.slug}"


def _settings(ctx: Context):
    files_default, pages_default = wiki_specs(ctx.event)
    c1, c2 = st.columns(2)
    files_text = c1.text_input(ctx.t("publish.ui.files_wiki"), value=spec_text(files_default),
                               key=_key(ctx, "files_wiki"), help=ctx.t("publish.ui.wiki"))
    pages_text = c2.text_input(ctx.t("publish.ui.pages_wiki"), value=spec_text(pages_default),
                               key=_key(ctx, "pages_wiki"), help=ctx.t("publish.ui.wiki"))
    login = st.text_input(ctx.t("publish.ui.login_name"), key=_key(ctx, "login"))
    # type=password: held by this browser session only; wikitown never writes it anywhere.
    secret = st.text_input(ctx.t("publish.ui.secret"), type="password", key=_key(ctx, "secret"),
                           help=ctx.t("publish.ui.secret_help"))
    user = login.split("@", 1)[0].strip()
    return parse_wiki(files_text, user), parse_wiki(pages_text, user), login.strip(), secret


def _bot_password(ctx: Context, login: str, secret: str):
    if not secret:
        return None
    from wikitown.net.wiki import SessionBotPassword

    return SessionBotPassword(login, secret)


def _show_plan(ctx: Context, plan) -> None:
    st.info(ctx.t("publish.ui.plan_counts", **plan.counts()))
    open_all = len(plan.actions()) <= 10  # a short plan is shown open; a long one item by item
    for n in plan.notices:
        st.warning(n.message(ctx.lang))
    for a in plan.files:
        # Expander labels render Markdown: the site's name (from open data) and the title built from it
        label = ctx.t(f"publish.plan.file.{a.status if a.status != 'todo' else a.kind}", title=md_escape(a.title),
                      site=md_escape(a.site_name), size=a.size, sha1=a.sha1)
        with st.expander(label, expanded=open_all):
            for n in a.notices:
                st.warning(n.message(ctx.lang))
            if a.status == "todo" and a.kind == "upload":
                st.text(ctx.t("publish.plan.summary", summary=a.summary))
                st.code(a.text, language=None, wrap_lines=True)
    for a in plan.pages:
        label = ctx.t(f"publish.plan.page.{a.status if a.status != 'todo' else 'edit'}", title=md_escape(a.title),
                      site=md_escape(a.site_name), base=a.base_revid or "-")
        with st.expander(label, expanded=open_all):
            for n in a.notices:
                st.warning(n.message(ctx.lang))
            if a.status == "todo":
                st.text(ctx.t("publish.plan.summary", summary=a.summary))
                st.code(a.text, language=None, wrap_lines=True)


def _apply(ctx: Context, plan, files_spec, pages_spec, bot_password) -> None:
    bar = st.progress(0.0)

    def progress(done, total, item):
        bar.progress(done / max(total, 1), text=f"{done}/{total} {ctx.t(f'publish.status.{item.status}')} "
                                                f"{item.target}")

    try:
        result = run_apply(ctx.event, plan, files_spec, pages_spec, bot_password=bot_password, progress=progress)
    except WikitownError as exc:
        show_error(ctx, exc)
        return
    counts = result.counts()
    (st.warning if result.failed else st.success)(ctx.t("publish.ui.applied", **counts))
    st.session_state.pop(_key(ctx, "plan"), None)  # the next plan shows the new state


def _journal(ctx: Context) -> list[dict]:
    rows = journal(ctx.event.store)
    st.subheader(ctx.t("publish.ui.journal"))
    if not rows:
        st.caption(ctx.t("publish.ui.journal_empty"))
        return rows
    frame = pd.DataFrame(rows)[JOURNAL_COLUMNS]
    frame["status"] = [ctx.t(f"publish.status.{s}") for s in frame["status"]]
    frame["kind"] = [ctx.t(f"publish.kind.{k}") for k in frame["kind"]]
    frame["error"] = frame["error"].fillna("")
    frame["updated_at"] = [short_time(v, ctx.lang) for v in frame["updated_at"]]
    st.dataframe(frame.rename(columns={c: ctx.t(f"publish.ui.col.{c.split('_')[0]}") for c in JOURNAL_COLUMNS}),
                 hide_index=True, width="stretch")
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        st.warning(ctx.t("publish.ui.failures", count=len(failed)))
    return rows


def _links(ctx: Context) -> None:
    links = site_links(ctx.event.store)
    if not links:
        return
    from wikitown.app.cache import site_label, site_names

    names = {site_id: site_label(row) for site_id, row in site_names(ctx.event).items()}
    st.subheader(ctx.t("publish.ui.links"))
    rows = [{ctx.t("publish.ui.col.site"): names.get(site_id, site_id), ctx.t("publish.ui.col.files"):
             "\n".join(v["files"]), ctx.t("publish.ui.col.draft"): v["draft"]} for site_id, v in links.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render(ctx: Context) -> None:
    st.subheader(ctx.t("publish.ui.tab"))
    st.caption(ctx.t("publish.ui.intro"))
    files_spec, pages_spec, login, secret = _settings(ctx)
    try:
        bot_password = _bot_password(ctx, login, secret)
    except WikitownError as exc:
        show_error(ctx, exc)
        bot_password = None
    if st.button(ctx.t("publish.ui.build_plan"), key=_key(ctx, "build")):
        try:
            with st.spinner(ctx.t("publish.ui.build_plan")):
                st.session_state[_key(ctx, "plan")] = make_plan(ctx.event, files_spec, pages_spec,
                                                                bot_password=bot_password)
        except WikitownError as exc:
            show_error(ctx, exc)
    plan = st.session_state.get(_key(ctx, "plan"))
    if plan is not None:
        if not plan.actions():
            st.info(ctx.t("publish.ui.nothing"))
        else:
            _show_plan(ctx, plan)
            if st.button(ctx.t("publish.ui.apply"), type="primary", key=_key(ctx, "apply")):
                _apply(ctx, plan, files_spec, pages_spec, bot_password)
    rows = _journal(ctx)
    if any(r["status"] != "done" for r in rows) and st.button(ctx.t("publish.ui.retry"), key=_key(ctx, "retry")):
        try:
            retry_plan = make_plan(ctx.event, files_spec, pages_spec, bot_password=bot_password)
        except WikitownError as exc:
            show_error(ctx, exc)
        else:
            _apply(ctx, retry_plan, files_spec, pages_spec, bot_password)
    _links(ctx)
    qs = quickstatements_text(ctx.event.store)
    if qs:
        st.subheader(ctx.t("publish.ui.quickstatements"))
        st.caption(ctx.t("publish.ui.quickstatements_help"))
        st.code(qs, language=None)
        st.download_button(ctx.t("publish.ui.download_qs"), qs.encode("utf-8"), file_name="p18.qs.txt",
                           mime="text/plain", key=_key(ctx, "qs"))
