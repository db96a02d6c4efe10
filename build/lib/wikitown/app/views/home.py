import streamlit as st

from wikitown.app.common import attribution, event_picker, join_form, page_context, role_for, set_role
from wikitown.store.sites import count_sites

ctx = page_context("home")
t = ctx.t
st.title(t("app.title"))
st.caption(t("app.tagline"))
event_picker(t)
cfg = ctx.event.config
st.header(cfg.name)
if cfg.description:
    st.text(cfg.description)
if cfg.start_date:
    st.write(t("app.home.dates", start=cfg.start_date, end=cfg.end_date or cfg.start_date))
st.write(t("app.home.site_count", count=count_sites(ctx.event.store)))
st.info(t("app.home.intro"))
role = role_for(ctx.event)
st.write(t("app.role", role=t(f"app.role.{role}" if role else "app.role.none")))
if role:
    if st.button(t("app.logout")):
        set_role(ctx.event, None)
        st.rerun()
else:
    join_form(ctx.event, t)
attribution(ctx)
