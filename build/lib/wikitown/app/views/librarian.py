import streamlit as st

from wikitown.app import librarian
from wikitown.app.common import attribution, event_picker, page_context

ctx = page_context("librarian")
st.title(ctx.t("app.librarian.title"))
event_picker(ctx.t)
st.header(ctx.event.config.name)
librarian.render(ctx)
attribution(ctx)
