import streamlit as st

from wikitown.app import checklists

from wikitown.app import event_admin

from wikitown.app import finds

from wikitown.app import plan

from wikitown.app import publish

from wikitown.app import report

from wikitown.app import sites
from wikitown.app.common import attribution, event_picker, page_context

ctx = page_context("organizer")
st.title(ctx.t("app.page.organizer"))
event_picker(ctx.t)
st.header(ctx.event.config.name)
event_admin.created_notice(ctx)
# Each feature adds its tab here: (message key, render function).
TABS = [
    ("app.sites.title", sites.render),
    ("plan.ui.title", plan.render),
    ("finds.tab", finds.render),
    ("checklists.ui.title", checklists.render),
    ("report.app.title", report.render),
    ("publish.ui.tab", publish.render),
    ("event.ui.tab", event_admin.render),
]
for tab, (_key, render) in zip(st.tabs([ctx.t(k) for k, _ in TABS]), TABS):
    with tab:
        render(ctx)
attribution(ctx)
