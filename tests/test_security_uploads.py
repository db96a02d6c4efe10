"""Streamlit's upload endpoint (issue 13, point 5): anyone who opens the home page gets a
session that can PUT files, held in memory until the session ends. Each file is capped by
``server.maxUploadSize`` (the event's limit under ``wikitown serve``), and the middleware in
wikitown/app/limits.py caps what one session and all sessions together may hold."""

import pytest
import requests

from tests.harness.app import goto_app
from wikitown.core.paths import PROJECT_ROOT

MB = 2 ** 20

ENTRY = '''
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:
    from wikitown.app.limits import middleware

    app = st.App(__file__, middleware=middleware())
else:
    st.text("session=" + get_script_run_ctx().session_id)
'''


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _server_pid(server) -> int:
    return server.process.pid


def _put(server, session_id: str, file_id: str, size: int, cookies) -> int:
    body = b"\0" * size
    try:
        r = requests.put(f"{server}/_stcore/upload_file/{session_id}/{file_id}",
                         files={"file": (f"{file_id}.jpg", body, "image/jpeg")},
                         headers={"X-Xsrftoken": cookies.get("_streamlit_xsrf", "")}, cookies=cookies, timeout=60)
        return r.status_code
    except requests.ConnectionError:
        return 0  # refused before the body was read: the server closed the connection


@pytest.mark.browser
def test_one_session_cannot_fill_the_memory(start_app, phone_context, tmp_path):
    entry = tmp_path / "entry.py"
    entry.write_text(ENTRY)
    server = start_app(script=entry, args=("--server.maxUploadSize", "50"),
                       env={"PYTHONPATH": str(PROJECT_ROOT), "WIKITOWN_UPLOAD_SESSION_MB": "100",
                            "WIKITOWN_UPLOAD_TOTAL_MB": "160"})
    context = phone_context()
    page = context.new_page()
    goto_app(page, str(server))
    text = page.get_by_text("session=").first.inner_text()
    session_id = text.split("=", 1)[1].strip()
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    before = _rss_mb(_server_pid(server))
    # Over the per-file limit (the event's 50 MB, not Streamlit's 200 MB).
    assert _put(server, session_id, "big", 60 * MB, cookies) in (0, 413)
    # Two 40 MB files fit one session; the third would pass its 100 MB.
    assert _put(server, session_id, "a", 40 * MB, cookies) == 204
    assert _put(server, session_id, "b", 40 * MB, cookies) == 204
    assert _put(server, session_id, "c", 40 * MB, cookies) in (0, 413)
    # A second session may still upload, up to the total for all sessions (160 MB here).
    other = phone_context().new_page()
    goto_app(other, str(server))
    other_id = other.get_by_text("session=").first.inner_text().split("=", 1)[1].strip()
    assert _put(server, other_id, "d", 40 * MB, cookies) == 204  # 120 MB held in all
    assert _put(server, other_id, "e", 45 * MB, cookies) in (0, 503)  # 165 MB: the server is full
    grown = _rss_mb(_server_pid(server)) - before
    print(f"server RSS grew {grown:.0f} MB")
    assert grown < 400


def test_the_app_serves_with_the_upload_limits():
    """app.py, imported by the server (no script context), builds its st.App with the middleware."""
    import importlib.util

    from wikitown.app.limits import UploadLimits

    spec = importlib.util.spec_from_file_location("wikitown_app_entry", PROJECT_ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert any(m.cls is UploadLimits for m in module.app._user_middleware)
