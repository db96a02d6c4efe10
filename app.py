"""wikitown's Streamlit app: one page per role. Run: streamlit run app.py"""

import streamlit as st

from ui.common import current_lang, language_switch
from wikitown.i18n import translator

st.set_page_config(page_title="wikitown", page_icon=":material/account_balance:", layout="wide")

lang = current_lang()
t = translator(lang)
pages = [
    st.Page("app_pages/home.py", title=t("app.page.home"), icon=":material/home:", default=True, url_path="home"),
    st.Page("app_pages/participant.py", title=t("app.page.participant"), icon=":material/photo_camera:",
            url_path="participant"),
    st.Page("app_pages/librarian.py", title=t("app.page.librarian"), icon=":material/menu_book:", url_path="librarian"),
    st.Page("app_pages/organizer.py", title=t("app.page.organizer"), icon=":material/map:", url_path="organizer"),
]
nav = st.navigation(pages, position="top")
language_switch()
nav.run()
