"""Streamlit pieces shared by the pages. Only presentation lives here; every
decision is made by the wikitown library."""
