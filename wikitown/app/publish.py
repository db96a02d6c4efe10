"""The organizer's Publish tab: the plan in full (read over HTTP: no login needed), photos that
wait for a look, categories that do not exist, photographers signing in for their own uploads,
a BotPassword for this publish only, apply with a progress bar, the declarations of consent for
VRT and the ticket, the journal with failures and a retry, links per site.

Secrets (the organizer's BotPassword, the photographers' passwords) live in this browser
session only until the publish that uses them ends; then they are dropped and the wiki
sessions logged out (:func:`wikitown.publish.run_apply`)."""

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


SECRET_FIELDS = ("secret", "own_secret")  # password boxes


def _forget_secrets(ctx: Context) -> None:
    """Drop every secret of this session (before the widgets holding them are drawn). A password
    box is set to "" rather than forgotten: that also empties the box in the browser, which would
    otherwise send the old value back with the next click."""
    if st.session_state.pop(_key(ctx, "forget"), False):
        for name in SECRET_FIELDS:
            st.session_state[_key(ctx, name)] = ""
        st.session_state.pop(_key(ctx, "author_logins"), None)


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


def _login_help(ctx: Context, files_spec) -> None:
    """What a BotPassword is and where to make one, in plain words (the plan needs none)."""
    from wikitown.net.wiki import bot_passwords_url, known_api_url

    url = known_api_url(files_spec)
    st.caption(ctx.t("publish.ui.login_help", url=bot_passwords_url(url) if url else "Special:BotPasswords"))


def _author_logins(ctx: Context) -> dict:
    """Photographers who sign in here (at the organizer's PC) to upload their own photos under
    their own account: {user: SessionLogin}, in this session's memory only."""
    from wikitown.net.wiki import SessionLogin

    logins = st.session_state.setdefault(_key(ctx, "author_logins"), {})
    with st.expander(ctx.t("publish.ui.own_account"), expanded=bool(logins)):
        st.caption(ctx.t("publish.ui.own_account_help"))
        c1, c2 = st.columns(2)
        name = c1.text_input(ctx.t("publish.ui.own_user"), key=_key(ctx, "own_user"))
        secret = c2.text_input(ctx.t("publish.ui.own_secret"), type="password", key=_key(ctx, "own_secret"))
        if st.button(ctx.t("publish.ui.own_add"), key=_key(ctx, "own_add")) and name.strip() and secret:
            try:
                login = SessionLogin(name.strip(), secret)
            except WikitownError as exc:
                show_error(ctx, exc)
            else:
                logins[login.user] = login
                st.session_state.pop(_key(ctx, "plan"), None)  # the file pages change: plan again
        for user in list(logins):
            c1, c2 = st.columns([3, 1])
            c1.text(ctx.t("publish.ui.own_listed", user=user))
            if c2.button(ctx.t("publish.ui.own_remove"), key=_key(ctx, f"own_rm_{user}")):
                logins.pop(user, None)
                st.session_state.pop(_key(ctx, "plan"), None)
                st.rerun()
    return logins


def _held(ctx: Context, plan) -> None:
    """Photos that wait for the organizer's look, each with its reasons, and the decision."""
    from wikitown.publish import decisions

    waiting = [a for a in plan.files if a.holds and a.status in ("held", "todo")]
    if not waiting:
        return
    st.subheader(ctx.t("publish.ui.held"))
    st.caption(ctx.t("publish.ui.held_help"))
    for a in waiting:
        with st.container(border=True):
            c1, c2 = st.columns([1, 3])
            path = ctx.event.path(a.path) if a.path else None
            if path is not None and path.is_file():
                c1.image(str(path), width=160)
            c2.text(f"{a.site_name} · {a.author or '-'} · {a.media_sha1[:12]}")
            for n in a.holds:
                (c2.info if a.released else c2.warning)(n.message(ctx.lang, markdown=True))
            if a.released:
                if c2.button(ctx.t("publish.ui.hold_again"), key=_key(ctx, f"hold_{a.media_sha1}")):
                    decisions.hold_again(ctx.event.store, a.media_sha1)
                    st.session_state.pop(_key(ctx, "plan"), None)
                    st.rerun()
            elif c2.button(ctx.t("publish.ui.release"), key=_key(ctx, f"release_{a.media_sha1}")):
                decisions.release(ctx.event.store, a.media_sha1, ctx.t("publish.ui.organizer"),
                                  [n.key for n in a.holds])
                st.session_state.pop(_key(ctx, "plan"), None)
                st.rerun()


def _categories(ctx: Context, plan) -> None:
    """Every category the plan uses, whether the wiki has it; rename or drop before publishing."""
    from wikitown.publish import decisions
    from wikitown.publish.plan import category_line

    if not plan.categories:
        return
    st.subheader(ctx.t("publish.ui.categories"))
    for c in plan.categories:  # st.text: names from data sources, shown as typed (never Markdown)
        st.text(category_line(c, ctx.lang))
    names = list(dict.fromkeys(c.name for c in plan.categories))
    missing = [c.name for c in plan.missing_categories()]
    c1, c2 = st.columns(2)
    name = c1.selectbox(ctx.t("publish.ui.category"), names, index=names.index(missing[0]) if missing else 0,
                        key=_key(ctx, "cat_name"))
    new = c2.text_input(ctx.t("publish.ui.category_new"), key=_key(ctx, "cat_new"),
                        help=ctx.t("publish.ui.category_new_help"))
    b1, b2, b3 = st.columns(3)
    change = None
    if b1.button(ctx.t("publish.ui.category_rename"), key=_key(ctx, "cat_rename")) and new.strip():
        change = new.strip()
    if b2.button(ctx.t("publish.ui.category_drop"), key=_key(ctx, "cat_drop")):
        change = ""
    if b3.button(ctx.t("publish.ui.category_keep"), key=_key(ctx, "cat_keep")):
        decisions.change_category(ctx.event.store, name, None)
        st.session_state.pop(_key(ctx, "plan"), None)
        st.rerun()
    if change is not None:
        try:
            decisions.change_category(ctx.event.store, name, change)
        except WikitownError as exc:
            show_error(ctx, exc)
        else:
            st.session_state.pop(_key(ctx, "plan"), None)
            st.rerun()


def _declarations(ctx: Context, plan) -> None:
    """Per photographer whose photos go up under the organizer's account: the declaration of
    consent to send to VRT, and where to type the ticket number VRT answers with."""
    from wikitown.publish.permission import VRT_ADDRESS, authors_needing_permission, declaration

    authors = [e for e in authors_needing_permission(plan) if e.files]
    if not authors:
        return
    st.subheader(ctx.t("publish.ui.vrt"))
    st.caption(ctx.t("publish.ui.vrt_help", address=VRT_ADDRESS))
    for i, entry in enumerate(authors):
        c1, c2, c3 = st.columns([2, 1, 1])
        c1.text(ctx.t("publish.ui.vrt_author", author=entry.author, count=len(entry.files)))
        for col, lang in ((c2, "ja"), (c3, "en")):
            text = declaration(entry, lang, event_name=plan.event_name, api_url=plan.files_api)
            col.download_button(ctx.t(f"publish.ui.vrt_download_{lang}"), text.encode("utf-8"),
                                file_name=f"consent-{i + 1}.{lang}.txt", mime="text/plain",
                                key=_key(ctx, f"vrt_{i}_{lang}"))


def _ticket(ctx: Context, files_spec, bot_password) -> None:
    from wikitown.publish import run_vrt_ticket

    with st.expander(ctx.t("publish.ui.ticket")):
        c1, c2 = st.columns(2)
        author = c1.text_input(ctx.t("publish.ui.ticket_author"), key=_key(ctx, "ticket_author"))
        ticket = c2.text_input(ctx.t("publish.ui.ticket_id"), key=_key(ctx, "ticket_id"))
        if st.button(ctx.t("publish.ui.ticket_apply"), key=_key(ctx, "ticket_apply")) and author and ticket:
            try:
                result = run_vrt_ticket(ctx.event, files_spec, author.strip(), ticket.strip(),
                                        bot_password=bot_password)
            except WikitownError as exc:
                show_error(ctx, exc)
            else:
                (st.warning if result.failed else st.success)(ctx.t("publish.ui.applied", **result.counts()))


def _show_plan(ctx: Context, plan) -> None:
    st.info(ctx.t("publish.ui.plan_counts", **plan.counts()))
    open_all = len(plan.actions()) <= 10  # a short plan is shown open; a long one item by item
    for e in plan.errors:
        show_error(ctx, e)
    for n in plan.notices:
        st.warning(n.message(ctx.lang, markdown=True))
    for a in plan.files:
        # Expander labels render Markdown: the site's name (from open data) and the title built from it
        label = ctx.t(f"publish.plan.file.{a.status if a.status != 'todo' else a.kind}", title=md_escape(a.title),
                      site=md_escape(a.site_name), size=a.size, sha1=a.sha1, media=a.media_sha1[:12],
                      find=md_escape(a.find_id))
        with st.expander(label, expanded=open_all):
            if a.author:
                st.text(ctx.plain("publish.plan.route.own" if a.own_work else "publish.plan.route.vrt",
                                  author=a.author, uploader=a.uploader or ctx.plain("publish.plan.organizer_account")))
            for n in a.holds:
                st.warning(n.message(ctx.lang, markdown=True))
            for n in a.notices:
                st.warning(n.message(ctx.lang, markdown=True))
            if a.status in ("todo", "held") and a.kind == "upload":
                st.text(ctx.plain("publish.plan.summary", summary=a.summary))
                st.code(a.text, language=None, wrap_lines=True)
    for a in plan.pages:
        label = ctx.t(f"publish.plan.page.{a.status if a.status != 'todo' else 'edit'}", title=md_escape(a.title),
                      site=md_escape(a.site_name), base=a.base_revid or "-")
        with st.expander(label, expanded=open_all):
            for n in a.notices:
                st.warning(n.message(ctx.lang, markdown=True))
            if a.status == "todo":
                st.text(ctx.plain("publish.plan.summary", summary=a.summary))
                st.code(a.text, language=None, wrap_lines=True)


def _apply(ctx: Context, plan, files_spec, pages_spec, bot_password, author_logins) -> None:
    bar = st.progress(0.0)

    def progress(done, total, item):
        bar.progress(done / max(total, 1), text=f"{done}/{total} {ctx.t(f'publish.status.{item.status}')} "
                                                f"{item.target}")

    try:
        result = run_apply(ctx.event, plan, files_spec, pages_spec, bot_password=bot_password, progress=progress,
                           author_logins=dict(author_logins))
    except WikitownError as exc:
        show_error(ctx, exc)
        return
    finally:
        # The publish is over (done or not): the secrets go; typing them again is the next publish.
        st.session_state[_key(ctx, "forget")] = True
    counts = result.counts()
    st.session_state[_key(ctx, "result")] = (bool(result.failed), ctx.t("publish.ui.applied", **counts))
    st.session_state.pop(_key(ctx, "plan"), None)  # the next plan shows the new state
    st.rerun()


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
    _forget_secrets(ctx)
    done = st.session_state.pop(_key(ctx, "result"), None)
    if done:
        (st.warning if done[0] else st.success)(done[1])
    files_spec, pages_spec, login, secret = _settings(ctx)
    _login_help(ctx, files_spec)
    try:
        bot_password = _bot_password(ctx, login, secret)
    except WikitownError as exc:
        show_error(ctx, exc)
        bot_password = None
    author_logins = _author_logins(ctx)
    if st.button(ctx.t("publish.ui.build_plan"), key=_key(ctx, "build")):
        try:
            with st.spinner(ctx.t("publish.ui.build_plan")):
                st.session_state[_key(ctx, "plan")] = make_plan(ctx.event, files_spec, pages_spec,
                                                                bot_password=bot_password,
                                                                own_accounts=list(author_logins.values()))
        except WikitownError as exc:
            show_error(ctx, exc)
    plan = st.session_state.get(_key(ctx, "plan"))
    if plan is not None:
        if not plan.actions():
            st.info(ctx.t("publish.ui.nothing"))
        else:
            _show_plan(ctx, plan)
            _held(ctx, plan)
            _categories(ctx, plan)
            _declarations(ctx, plan)
            if st.button(ctx.t("publish.ui.apply"), type="primary", key=_key(ctx, "apply")):
                _apply(ctx, plan, files_spec, pages_spec, bot_password, author_logins)
    _ticket(ctx, files_spec, bot_password)
    rows = _journal(ctx)
    if any(r["status"] != "done" for r in rows) and st.button(ctx.t("publish.ui.retry"), key=_key(ctx, "retry")):
        try:
            retry_plan = make_plan(ctx.event, files_spec, pages_spec, bot_password=bot_password,
                                   own_accounts=list(author_logins.values()))
        except WikitownError as exc:
            show_error(ctx, exc)
        else:
            _apply(ctx, retry_plan, files_spec, pages_spec, bot_password, author_logins)
    _links(ctx)
    qs = quickstatements_text(ctx.event.store)
    if qs:
        st.subheader(ctx.t("publish.ui.quickstatements"))
        st.caption(ctx.t("publish.ui.quickstatements_help"))
        st.code(qs, language=None)
        st.download_button(ctx.t("publish.ui.download_qs"), qs.encode("utf-8"), file_name="p18.qs.txt",
                           mime="text/plain", key=_key(ctx, "qs"))
