import streamlit as st

from wikitown.app import checklists, event_admin, finds, plan, publish, report, sites
from wikitown.app.common import attribution, event_picker, page_context
from wikitown.app.navigation import view_tabs

# Each feature adds its view here: id -> (message key of its tab, render function).
VIEWS = {
    "sites": ("app.sites.title", sites.render),
    "plan": ("plan.ui.title", plan.render),
    "finds": ("finds.tab", finds.render),
    "checklists": ("checklists.ui.title", checklists.render),
    "report": ("report.app.title", report.render),
    "publish": ("publish.ui.tab", publish.render),
    "event": ("event.ui.tab", event_admin.render),
}
TABS_KEY = "organizer_view"

ctx = page_context("organizer")
st.title(ctx.t("app.page.organizer"))
event_picker(ctx.t)
st.header(ctx.event.config.name)
event_admin.created_notice(ctx)
view_tabs(ctx.t, VIEWS, key=TABS_KEY, ctx=ctx)
attribution(ctx)
