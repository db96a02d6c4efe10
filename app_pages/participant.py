import streamlit as st

from ui.common import attribution, page_context

ctx = page_context("participant")
st.title(ctx.t("app.participant.title"))
st.header(ctx.event.config.name)
attribution(ctx)
