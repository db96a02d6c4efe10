"""Bounds on what Streamlit's upload endpoint may hold in memory.

``st.file_uploader`` sends each file with a PUT to ``/_stcore/upload_file/<session>/<file>``
before any page code runs, so anyone who opens the home page (no join code) gets a session
that can upload. Streamlit caps each file (``server.maxUploadSize``, set from the event by
``wikitown serve``) but keeps every file a session sent, in memory, until the session ends.
This ASGI middleware refuses a PUT that would take one session past ``MAX_SESSION_FILES``
files or ``session_limit_mb()`` megabytes, or all sessions together past
``total_limit_mb()``, counting what is stored and what is still arriving. Hooked into the
server in app.py: ``st.App(..., middleware=[*limits.middleware()])``.
"""

from __future__ import annotations

import os
import re
import threading

MAX_SESSION_FILES = 20  # a participant selects a handful of photos at once
SESSION_FACTOR = 4  # one session may hold this many files of the largest size
MIN_SESSION_MB = 100
TOTAL_MB = 600  # every session together; override with WIKITOWN_UPLOAD_TOTAL_MB
_UPLOAD_PATH = re.compile(r"/_stcore/upload_file/([^/]+)/([^/]+)$")


def _max_upload_mb() -> float:
    from streamlit import config

    return float(config.get_option("server.maxUploadSize"))


def session_limit_mb() -> float:
    value = os.environ.get("WIKITOWN_UPLOAD_SESSION_MB")
    return float(value) if value else max(MIN_SESSION_MB, SESSION_FACTOR * _max_upload_mb())


def total_limit_mb() -> float:
    value = os.environ.get("WIKITOWN_UPLOAD_TOTAL_MB")
    return float(value) if value else TOTAL_MB


def _stored(session_id: str) -> tuple[int, int, int]:
    """(files held for this session, their bytes, bytes held for all sessions)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return 0, 0, 0
    storage = getattr(Runtime.instance().uploaded_file_mgr, "file_storage", {})
    mine = list(storage.get(session_id, {}).values())
    total = sum(len(rec.data) for files in list(storage.values()) for rec in list(files.values()))
    return len(mine), sum(len(rec.data) for rec in mine), total


class UploadLimits:
    """Pure ASGI middleware (no body buffering: Streamlit streams the body itself)."""

    def __init__(self, app):
        self.app = app
        self._lock = threading.Lock()
        self._arriving: dict[str, list[int]] = {}  # session -> sizes of PUTs in progress

    async def __call__(self, scope, receive, send):
        match = _UPLOAD_PATH.search(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope.get("method") != "PUT":
            return await self.app(scope, receive, send)
        session_id = match.group(1)
        headers = dict(scope.get("headers") or [])
        try:
            size = int(headers.get(b"content-length", b"") or 0)
        except ValueError:
            size = 0
        ceiling = int(_max_upload_mb() * 2 ** 20)
        size = min(size, ceiling) if size > 0 else ceiling  # no length given: assume the worst
        refusal = self._admit(session_id, size)
        if refusal:
            return await _refuse(send, *refusal)
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                sizes = self._arriving.get(session_id, [])
                if size in sizes:
                    sizes.remove(size)
                if not sizes:
                    self._arriving.pop(session_id, None)

    def _admit(self, session_id: str, size: int) -> tuple[int, str] | None:
        files, held, total = _stored(session_id)
        with self._lock:
            arriving = self._arriving.get(session_id, [])
            all_arriving = sum(sum(v) for v in self._arriving.values())
            if files + len(arriving) >= MAX_SESSION_FILES:
                return 413, "Too many files waiting in this session"
            if held + sum(arriving) + size > session_limit_mb() * 2 ** 20:
                return 413, "This session holds too much uploaded data"
            if total + all_arriving + size > total_limit_mb() * 2 ** 20:
                return 503, "The server is busy with uploads: try again in a minute"
            self._arriving.setdefault(session_id, []).append(size)
        return None


async def _refuse(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def middleware() -> list:
    from starlette.middleware import Middleware

    return [Middleware(UploadLimits)]
