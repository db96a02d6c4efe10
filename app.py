"""wikitown's Streamlit app: one page per role. Run: streamlit run app.py

Imported by the server (``streamlit run`` finds ``app`` below and serves it), this file builds
the ``st.App`` that adds the phone page and the participants' API (wikitown.web) to Streamlit's
own routes; run by Streamlit as the script of each session, it draws the pages.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:
    from wikitown.web import middleware, routes

    app = st.App(__file__, routes=routes(), middleware=middleware())
else:
    from wikitown.app.common import current_lang, language_switch
    from wikitown.core.i18n import translator

    st.set_page_config(page_title="wikitown", page_icon=":material/account_balance:", layout="wide")

    lang = current_lang()
    t = translator(lang)
    pages = [
        st.Page("wikitown/app/views/home.py", title=t("app.page.home"), icon=":material/home:", default=True,
                url_path="home"),
        st.Page("wikitown/app/views/participant.py", title=t("app.page.participant"),
                icon=":material/photo_camera:", url_path="participant"),
        st.Page("wikitown/app/views/librarian.py", title=t("app.page.librarian"), icon=":material/menu_book:",
                url_path="librarian"),
        st.Page("wikitown/app/views/organizer.py", title=t("app.page.organizer"), icon=":material/map:",
                url_path="organizer"),
    ]
    nav = st.navigation(pages, position="top")
    language_switch()
    nav.run()
