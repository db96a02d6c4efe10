import streamlit as st

from wikitown.app import participant
from wikitown.app.common import attribution, current_lang, get_event, page_context
from wikitown.core.i18n import translator

# The QR code's link carries the event code: join before the page asks for it.
_event = get_event(translator(current_lang(), markdown=True))
if _event is not None:
    participant.auto_join(_event)
ctx = page_context("participant")
st.title(ctx.t("app.participant.title"))
st.header(ctx.event.config.name)
participant.render(ctx)
attribution(ctx)
