import streamlit as st

from ui.common import attribution, page_context

ctx = page_context("librarian")
st.title(ctx.t("app.librarian.title"))
st.header(ctx.event.config.name)
attribution(ctx)
