"""Headless Chromium at phone size can load a Streamlit app served by the harness."""
from __future__ import annotations

import pytest

from tests.harness.app import goto_app, shot, wait_for_app

pytestmark = pytest.mark.browser

SCRIPT = '''
import os
import streamlit as st
st.title("Harness smoke test")
st.write("events dir:", os.environ.get("WIKITOWN_EVENTS_DIR", "unset"))
if st.button("Press me"):
    st.success("Button pressed")
'''


def test_phone_page_sees_streamlit(start_app, phone_page, tmp_path):
    script = tmp_path / "smoke_app.py"
    script.write_text(SCRIPT)
    events = tmp_path / "events"
    events.mkdir()
    url = start_app(events, script=script)
    assert url.startswith("http://127.0.0.1:")

    page = phone_page
    assert page.viewport_size["width"] < 500
    goto_app(page, url)
    page.get_by_text("Harness smoke test").wait_for()
    assert page.get_by_text(str(events)).is_visible()
    page.get_by_role("button", name="Press me").click()
    wait_for_app(page)
    page.get_by_text("Button pressed").wait_for()
    assert page.evaluate("navigator.geolocation !== undefined")
    path = shot(page, "harness-smoke")
    assert path.stat().st_size > 1000
    size = page.viewport_size
    assert shot(page, "harness-smoke-tall", tall=True).stat().st_size > 1000
    assert page.viewport_size == size
