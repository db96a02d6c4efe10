"""Sign-in that survives a reload, for organizers and librarians.

Streamlit keeps a role only in its websocket session, which a reload ends. A route of the same
server checks the passphrase (``finds.access.check_passphrase``, throttled) and sets a cookie:
HttpOnly (page scripts cannot read it), SameSite=Strict, Secure on HTTPS, expiring after
``MAX_AGE``; its value is the event, the role and the expiry, signed with HMAC-SHA256 under a
key kept in ``WIKITOWN_HOME`` (never in the event folder). The Streamlit pages read it through
``st.context.cookies`` (:func:`role_from_cookie`); sign-out clears it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

from wikitown.core.fsutil import atomic_write_bytes
from wikitown.core.paths import home_dir

MAX_AGE = 12 * 3600  # one event day
STAFF_ROLES = ("organizer", "librarian")


def cookie_name(slug: str) -> str:
    return f"wikitown_{slug}"


def _key() -> bytes:
    path = home_dir() / "session.key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, secrets.token_bytes(32), mode=0o600)
    return path.read_bytes()


def _event_key(event_dir: Path) -> str:
    return hashlib.sha256(str(Path(event_dir).resolve()).encode()).hexdigest()[:24]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_cookie(event_dir: Path, role: str, now: float | None = None, max_age: int = MAX_AGE) -> str:
    if role not in STAFF_ROLES:
        raise ValueError(role)
    payload = _b64(json.dumps({"e": _event_key(event_dir), "r": role,
                               "x": int((now or time.time()) + max_age)}, separators=(",", ":")).encode())
    sig = _b64(hmac.new(_key(), payload.encode(), hashlib.sha256).digest())
    return f"v1.{payload}.{sig}"


def role_from_cookie(value: str | None, event_dir: Path, now: float | None = None) -> str | None:
    """The role a cookie grants for this event, or None (absent, altered, expired, another event)."""
    if not value or len(value) > 512:
        return None
    try:
        version, payload, sig = value.split(".")
        if version != "v1":
            return None
        good = hmac.new(_key(), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(good, _unb64(sig)):
            return None
        data = json.loads(_unb64(payload))
    except (ValueError, TypeError):
        return None
    if data.get("e") != _event_key(event_dir) or data.get("r") not in STAFF_ROLES:
        return None
    if int(data.get("x", 0)) < (now or time.time()):
        return None
    return data["r"]


# --------------------------------------------------------------------------------------------
# routes (Starlette)


def _page(title: str, body: str, lang: str, status: int = 200, headers: dict | None = None):
    from starlette.responses import HTMLResponse

    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{title}</title><link rel="stylesheet" href="/phone/phone.css"></head>'
            f'<body><header><h1>{title}</h1></header><main>{body}</main></body></html>')
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def _form_page(event, role: str, lang: str, error: str = "", status: int = 200):
    from html import escape

    from wikitown.core.i18n import t

    title = escape(t("phone.signin.title", lang, role=t(f"app.role.{role}", lang)))
    note = escape(t("phone.signin.note", lang, hours=MAX_AGE // 3600))
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (f'<p>{escape(event.config.name)}</p>{problem}'
            '<form method="post" action="/auth/signin">'
            f'<input type="hidden" name="event" value="{escape(event.slug)}">'
            f'<input type="hidden" name="role" value="{escape(role)}">'
            f'<input type="hidden" name="lang" value="{escape(lang)}">'
            f'<label><span>{escape(t("app.login.passphrase", lang))}</span>'
            '<input type="password" name="passphrase" id="passphrase" required autocomplete="current-password">'
            '</label>'
            f'<button type="submit" class="primary" id="signin">{escape(t("app.login.button", lang))}</button>'
            f'</form><p class="hint">{note}</p>')
    return _page(title, body, lang, status)


def _target(request, lang: str) -> tuple:
    from wikitown.core.i18n import normalise_lang
    from wikitown.web.api import ApiError, open_event_by_slug

    values = request.query_params
    slug, role = values.get("event", ""), values.get("role", "")
    try:
        event = open_event_by_slug(slug)
    except ApiError:
        event = None
    return event, role if role in STAFF_ROLES else None, normalise_lang(values.get("lang") or lang)


def _same_origin(request) -> bool:
    """A sign-in form posted from another site is refused (login CSRF)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    from urllib.parse import urlsplit

    return urlsplit(origin).netloc == request.headers.get("host", "")


async def signin_form(request):
    from starlette.responses import PlainTextResponse

    event, role, lang = _target(request, "ja")
    if event is None or role is None:
        return PlainTextResponse("not found", status_code=404)
    return _form_page(event, role, lang)


async def signin(request):
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import PlainTextResponse, RedirectResponse

    from wikitown.core.errors import TooManyAttempts
    from wikitown.core.i18n import normalise_lang, t
    from wikitown.finds import access
    from wikitown.web.api import ApiError, open_event_by_slug

    if not _same_origin(request):
        return PlainTextResponse("forbidden", status_code=403)
    form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
    lang = normalise_lang(str(form.get("lang") or "ja"))
    role = str(form.get("role") or "")
    try:
        event = open_event_by_slug(str(form.get("event") or ""))
    except ApiError:
        return PlainTextResponse("not found", status_code=404)
    if role not in STAFF_ROLES:
        return PlainTextResponse("not found", status_code=404)
    client = request.client.host if request.client else ""
    try:
        ok = await run_in_threadpool(access.check_passphrase, event.dir, role, str(form.get("passphrase") or ""),
                                     client)
    except TooManyAttempts as exc:
        return _form_page(event, role, lang, exc.message(lang), status=429)
    if not ok:
        return _form_page(event, role, lang, t("app.login.wrong", lang), status=401)
    response = RedirectResponse(f"/{role}?event={event.slug}&lang={lang}", status_code=303)
    response.set_cookie(cookie_name(event.slug), make_cookie(event.dir, role), max_age=MAX_AGE, path="/",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


async def signout(request):
    from starlette.responses import RedirectResponse

    event, _role, lang = _target(request, "ja")
    slug = event.slug if event is not None else ""
    response = RedirectResponse(f"/home?lang={lang}", status_code=303)
    if slug:
        response.delete_cookie(cookie_name(slug), path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
    return response


def routes() -> list:
    from starlette.routing import Route

    return [Route("/auth/signin", signin_form, methods=["GET"]), Route("/auth/signin", signin, methods=["POST"]),
            Route("/auth/signout", signout, methods=["GET", "POST"])]
