"""What the app's server serves besides Streamlit: the phone page (``/phone/``: plain HTML, JS
and CSS, a web manifest, a service worker) and the participants' HTTP API (``/api/v1/``).

``app.py`` hands :func:`routes` and :func:`middleware` to ``st.App``, so ``streamlit run app.py``
and ``python -m wikitown serve`` serve both from one port. Starlette only, never Streamlit.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The phone page's files and their types; nothing else under /phone/ is served.
PHONE_FILES = {
    "index.html": "text/html; charset=utf-8",
    "phone.js": "text/javascript; charset=utf-8",
    "outbox.js": "text/javascript; charset=utf-8",
    "phone.css": "text/css; charset=utf-8",
    "sw.js": "text/javascript; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon.svg": "image/svg+xml",
}
# The page talks to its own server only; map tiles (online) come from OpenStreetMap.
CSP = ("default-src 'self'; img-src 'self' blob: data: https://tile.openstreetmap.org; "
       "connect-src 'self'; style-src 'self'; script-src 'self'; worker-src 'self'; "
       "manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def routes() -> list:
    from starlette.responses import RedirectResponse, Response
    from starlette.routing import Route

    from wikitown.web import api, signin

    async def phone_file(request):
        name = request.path_params.get("name") or "index.html"
        kind = PHONE_FILES.get(name)
        if kind is None:
            return Response("not found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": "no-cache"}  # the service worker keeps the offline copy
        if name == "sw.js":
            headers["Service-Worker-Allowed"] = "/phone/"
        return Response((STATIC_DIR / name).read_bytes(), media_type=kind, headers=headers)

    async def phone_root(request):
        query = request.url.query
        return RedirectResponse("/phone/" + (f"?{query}" if query else ""), status_code=307)

    return [
        Route("/phone", phone_root),
        Route("/phone/", phone_file),
        Route("/phone/{name}", phone_file),
        Route("/api/v1/i18n/{lang}", api.messages, methods=["GET"]),
        Route("/api/v1/events/{slug}", api.event_info, methods=["GET"]),
        Route("/api/v1/events/{slug}/join", api.join, methods=["POST"]),
        Route("/api/v1/events/{slug}/finds", api.submit, methods=["POST"]),
        Route("/api/v1/events/{slug}/sites", api.event_sites, methods=["GET"]),
        *signin.routes(),
    ]


class SecurityHeaders:
    """Plain ASGI middleware: security headers on the phone page and the API (Streamlit's own
    responses are left as they are)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path.startswith("/phone") or path.startswith("/api/") or path.startswith("/auth/")):
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
                if path.startswith("/phone") or path.startswith("/auth/"):
                    headers += [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def middleware() -> list:
    from starlette.middleware import Middleware

    return [Middleware(SecurityHeaders)]
