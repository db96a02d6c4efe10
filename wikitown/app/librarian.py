"""The librarian's page: the source register and the drafts to review."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from wikitown.app import drafts as drafts_ui
from wikitown.app.common import Context, md_escape, show_error
from wikitown.drafts import register
from wikitown.drafts.citations import Source, render as render_citation
from wikitown.core.errors import ServiceError, ServiceUnavailable, WikitownError
from wikitown.app.cache import site_label, site_names


def render(ctx: Context) -> None:
    tab_sources, tab_drafts = st.tabs([ctx.t("librarian.tab.sources"), ctx.t("librarian.tab.drafts")])
    with tab_sources:
        sources_tab(ctx)
    with tab_drafts:
        drafts_ui.render(ctx)


def _site_options(ctx: Context) -> dict[str, str]:
    # Names with their municipality (or address), never internal ids.
    return {site_id: site_label(row) for site_id, row in site_names(ctx.event).items()}


def sources_tab(ctx: Context) -> None:
    t = ctx.t
    st.subheader(t("librarian.sources.title"))
    flash = st.session_state.pop("sources_flash", None)
    if flash:
        st.success(flash)
    sites = _site_options(ctx)
    items = register.list_sources(ctx.event.store)
    if items:
        frame = pd.DataFrame([{t("librarian.col.id"): s.id, t("librarian.col.kind"): t(f"librarian.kind.{s.kind}"),
                               t("librarian.col.source"): s.label(), t("librarian.col.added_by"): s.added_by,
                               t("librarian.col.sites"): ", ".join(sites.get(i, i) for i in
                                                                   register.site_ids_for(ctx.event.store, s.id))}
                              for s in items])
        st.dataframe(frame, hide_index=True, width="stretch")
        chosen = st.selectbox(t("librarian.sources.show_citation"), [s.id for s in items],
                              format_func=lambda i: next(s.label() for s in items if s.id == i), key="cite_pick")
        src = next(s for s in items if s.id == chosen)
        try:
            st.code(render_citation(src, ctx.event.config.wiki), language=None)
        except WikitownError as exc:
            show_error(ctx, exc)
        with st.form("link_sites"):
            picked = st.multiselect(t("librarian.sources.link_sites"), list(sites),
                                    placeholder=t("app.choose"), format_func=sites.get)
            pages = st.text_input(t("librarian.field.pages"))
            if st.form_submit_button(t("librarian.sources.link_button")) and picked:
                for site_id in picked:
                    register.link_site(ctx.event.store, chosen, site_id, pages=pages)
                st.success(t("librarian.sources.linked", count=len(picked)))
    else:
        st.info(t("librarian.sources.none"))
    kind = st.radio(t("librarian.sources.add_kind"), ["book", "web", "dataset"],
                    format_func=lambda k: t(f"librarian.kind.{k}"), horizontal=True, key="add_kind")
    {"book": _add_book, "web": _add_web, "dataset": _add_dataset}[kind](ctx, sites)


def _lookup(ctx: Context) -> None:
    from wikitown.drafts import ndl

    code = st.session_state.get("book_isbn", "")
    try:
        found = ndl.lookup_isbn(code, endpoint=ctx.event.service("ndl_search"), client=ctx.event.http_client())
    except (ServiceUnavailable, ServiceError) as exc:
        st.session_state["lookup_message"] = ("warning", exc.message(ctx.lang, markdown=True) + " " + ctx.t("librarian.book.manual"))
        return
    except WikitownError as exc:
        st.session_state["lookup_message"] = ("error", exc.message(ctx.lang, markdown=True))
        return
    if found is None:
        st.session_state["lookup_message"] = ("warning", ctx.t("librarian.book.not_found", isbn=code))
        return
    for field in ("title", "authors", "publisher", "year"):
        st.session_state[f"book_{field}"] = getattr(found, field)
    st.session_state["book_data"] = found.data
    st.session_state["lookup_message"] = ("success", ctx.t("librarian.book.found", title=found.title))


def _add_book(ctx: Context, sites: dict[str, str]) -> None:
    t = ctx.t
    st.text_input(t("librarian.field.isbn"), key="book_isbn")
    st.button(t("librarian.book.lookup"), on_click=_lookup, args=(ctx,), key="book_lookup")
    message = st.session_state.pop("lookup_message", None)
    if message:
        getattr(st, message[0])(message[1])
    with st.form("add_book"):
        values = {f: st.text_input(t(f"librarian.field.{f}"), key=f"book_{f}")
                  for f in ("title", "authors", "publisher", "year", "pages", "call_number")}
        picked = st.multiselect(t("librarian.sources.for_sites"), list(sites),
                                placeholder=t("app.choose"), format_func=sites.get)
        if st.form_submit_button(t("librarian.sources.add_button")):
            source = Source("book", values["title"], authors=values["authors"], publisher=values["publisher"],
                            year=values["year"], isbn=st.session_state.get("book_isbn", ""),
                            pages=values["pages"], call_number=values["call_number"], added_by=ctx.role or "",
                            data=st.session_state.get("book_data", {}))
            _store(ctx, source, picked)


def _add_web(ctx: Context, sites: dict[str, str]) -> None:
    t = ctx.t
    with st.form("add_web"):
        url = st.text_input(t("librarian.field.url"))
        title = st.text_input(t("librarian.field.title"))
        website = st.text_input(t("librarian.field.website"))
        accessed = st.date_input(t("librarian.field.access_date"), value=dt.date.today())
        picked = st.multiselect(t("librarian.sources.for_sites"), list(sites),
                                placeholder=t("app.choose"), format_func=sites.get)
        if st.form_submit_button(t("librarian.sources.add_button")):
            _store(ctx, Source("web", title, url=url, website=website, access_date=str(accessed or ""),
                               added_by=ctx.role or ""), picked)


def _add_dataset(ctx: Context, sites: dict[str, str]) -> None:
    t = ctx.t
    with st.form("add_dataset"):
        title = st.text_input(t("librarian.field.title"))
        publisher = st.text_input(t("librarian.field.publisher"))
        url = st.text_input(t("librarian.field.url"))
        year = st.text_input(t("librarian.field.year"))
        # The dataset's terms go into its citation (a CC BY dataset asks to be credited with them).
        licence = st.text_input(t("librarian.field.licence"), placeholder="CC BY 4.0")
        picked = st.multiselect(t("librarian.sources.for_sites"), list(sites),
                                placeholder=t("app.choose"), format_func=sites.get)
        if st.form_submit_button(t("librarian.sources.add_button")):
            _store(ctx, Source("dataset", title, publisher=publisher, url=url, year=year,
                               access_date=dt.date.today().isoformat() if url else "", added_by=ctx.role or "",
                               data={"licence": licence.strip()} if licence.strip() else {}),
                   picked)


def _store(ctx: Context, source: Source, site_ids: list[str]) -> None:
    try:
        new_id = register.add_source(ctx.event.store, source, site_ids)
    except WikitownError as exc:
        show_error(ctx, exc)
        return
    # Run again so the list above (and the citation to copy) shows the new source at once.
    st.session_state["sources_flash"] = ctx.t("librarian.sources.added", id=new_id, title=md_escape(source.title))
    st.rerun()
