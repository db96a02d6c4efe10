"""The participants' HTTP API (docs/api.md), served by the app's own server.

Every handler calls the same library functions as the Streamlit pages and the
command line (``finds.capture.join_event`` / ``submit_find``,
``finds.access.check_event_code``); blocking work runs in a worker thread so one
slow upload never stalls the others. Errors are JSON with a message key and the
text in the participant's language; details go to the server log only.

Limits are checked before a body is read into memory: the request's declared
size, then the bytes actually received (a chunked body cannot lie its way past
the cap), then each file's size as spooled by the multipart parser.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
import threading

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from wikitown.core import licences
from wikitown.core.errors import TooManyAttempts, WikitownError
from wikitown.core.geo import valid_coord
from wikitown.core.i18n import catalogue, normalise_lang, t
from wikitown.core.paths import events_dir
from wikitown.finds import access
from wikitown.finds.capture import get_participant, join_event, submit_find
from wikitown.finds.photos import safe_name
from wikitown.web.tokens import issue_token, participant_for_token

log = logging.getLogger("wikitown.web")

MAX_PHOTOS = 10  # per find
MAX_FORM_BYTES = 64 * 1024  # a join form, or the text fields of a find
MAX_REQUEST_MB = 200  # a whole find, whatever the event's per-file limit
SITES_LIMIT = 2000
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


class ApiError(Exception):
    def __init__(self, status: int, key: str, headers: dict | None = None, **params):
        super().__init__(key)
        self.status, self.key, self.params, self.headers = status, key, params, headers or {}


# --------------------------------------------------------------------------------------------
# events, one open Event per folder (its store's connection pool is shared by every request)

_EVENTS: dict[str, tuple[float, object]] = {}
_EVENTS_LOCK = threading.Lock()


def open_event_by_slug(slug: str):
    from wikitown.store.events import open_event

    if not _SLUG_RE.fullmatch(slug or ""):
        raise ApiError(404, "phone.error.no_event")
    path = events_dir() / slug
    toml = path / "event.toml"
    try:
        mtime = toml.stat().st_mtime
    except OSError:
        raise ApiError(404, "phone.error.no_event") from None
    key = str(path.resolve())
    with _EVENTS_LOCK:
        cached = _EVENTS.get(key)
        if cached and cached[0] == mtime:
            return cached[1]
        event = open_event(path)
        access.ensure_demo_passphrases(event.dir, event.config.demo)  # as the app does on first open
        if cached:
            cached[1].close()
        _EVENTS[key] = (mtime, event)
        return event


def _lang(request: Request, participant: dict | None = None) -> str:
    given = request.query_params.get("lang")
    if given:
        return normalise_lang(given)
    if participant and participant.get("lang"):
        return normalise_lang(participant["lang"])
    header = request.headers.get("accept-language", "")
    return normalise_lang(header.split(",")[0].strip() if header else None)


def _error(status: int, key: str, lang: str, headers: dict | None = None, **params) -> JSONResponse:
    return JSONResponse({"error": key, "message": t(key, lang, **params)}, status_code=status, headers=headers)


def api(handler):
    """JSON errors in the caller's language; an unexpected one is logged with its traceback and
    answered with a plain sentence (never the traceback)."""

    @functools.wraps(handler)
    async def wrapped(request: Request):
        try:
            return await handler(request)
        except ApiError as exc:
            return _error(exc.status, exc.key, _lang(request), exc.headers, **exc.params)
        except TooManyAttempts as exc:
            return JSONResponse({"error": exc.key, "message": exc.message(_lang(request))}, status_code=429,
                                headers={"Retry-After": str(exc.params.get("seconds", 30))})
        except WikitownError as exc:
            return JSONResponse({"error": exc.key, "message": exc.message(_lang(request))}, status_code=400)
        except Exception:
            log.exception("API %s %s failed", request.method, request.url.path)
            return _error(500, "phone.error.server", _lang(request))

    return wrapped


# --------------------------------------------------------------------------------------------
# bodies with limits


def _limited(request: Request, limit: int) -> None:
    """Refuse a body larger than ``limit`` bytes: by its declared length before reading any of it,
    and by counting while it streams in (413 either way)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ApiError(413, "phone.error.request_too_large", max_mb=f"{limit / 1e6:.0f}")
        except ValueError:
            raise ApiError(400, "phone.error.bad_request") from None
    receive = request._receive
    seen = 0

    async def counting():
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise ApiError(413, "phone.error.request_too_large", max_mb=f"{limit / 1e6:.0f}")
        return message

    request._receive = counting


async def _form(request: Request, limit: int, max_files: int = 0):
    from starlette.exceptions import HTTPException
    from starlette.formparsers import MultiPartException, MultiPartParser

    class PhotoParser(MultiPartParser):
        # A phone photo (up to 8 MB) stays in memory: no temporary file written and read back, no
        # thread hop per 64 KB. Anything bigger spools to disk, and the request cap bounds the total.
        spool_max_size = 8 * 1024 * 1024

    _limited(request, limit)
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            return await PhotoParser(request.headers, request.stream(), max_files=max_files, max_fields=60,
                                     max_part_size=MAX_FORM_BYTES).parse()
        return await request.form(max_files=max_files, max_fields=60, max_part_size=MAX_FORM_BYTES)
    except (HTTPException, MultiPartException) as exc:
        log.info("refused form: %s", getattr(exc, "detail", None) or getattr(exc, "message", exc))
        raise ApiError(400, "phone.error.bad_request") from None


def _float(value, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def _iso_time(value) -> str | None:
    """An ISO 8601 time from the phone, as UTC text; None when absent or not a time."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _participant(request: Request, event) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    pid = participant_for_token(event, token.strip()) if scheme.lower() == "bearer" else None
    if pid is None:
        raise ApiError(401, "phone.error.token", headers={"WWW-Authenticate": "Bearer"})
    return pid


# --------------------------------------------------------------------------------------------
# handlers


@api
async def event_info(request: Request):
    """What the join form needs: the event's name, its licences and note fields, the limits."""
    event = open_event_by_slug(request.path_params["slug"])
    cfg = event.config
    return JSONResponse({
        "slug": event.slug, "name": cfg.name, "licence": cfg.licence,
        "licences": [{"id": key, "label": licences.label(key)} for key in licences.LICENCES],
        "note_fields": [{"key": f.key, "label_ja": f.label_ja, "label_en": f.label_en, "type": f.type,
                         "choices": list(f.choices)} for f in cfg.note_fields],
        "max_upload_mb": cfg.max_upload_mb, "max_photos": MAX_PHOTOS,
    })


@api
async def join(request: Request):
    event = open_event_by_slug(request.path_params["slug"])
    form = await _form(request, MAX_FORM_BYTES)
    lang = normalise_lang(form.get("lang") or _lang(request))
    client = request.client.host if request.client else ""
    ok = await run_in_threadpool(access.check_event_code, event.dir, event.config.code,
                                 str(form.get("code", "")), client)
    if not ok:
        raise ApiError(403, "phone.error.code")
    licence = str(form.get("licence") or event.config.licence)
    team = _float(form.get("team"), 1, 99)
    pid = await run_in_threadpool(join_event, event, str(form.get("credit", "")), licence,
                                  wiki_user=str(form.get("wiki_user", "")), lang=lang,
                                  team=int(team) if team is not None and team.is_integer() else None)
    token = await run_in_threadpool(issue_token, event, pid)
    person = await run_in_threadpool(get_participant, event, pid)
    return JSONResponse({"token": token, "participant_id": pid, "credit": person["display_name"], "team": person["team"],
                         "licence": person["licence"], "event": {"slug": event.slug, "name": event.config.name}})


def _photo_state(result, lang: str) -> dict:
    if result.status == "accepted" or result.key == "finds.file.retry":
        state = "saved"  # a retry of this very find: the photo is stored, once
    elif result.status == "duplicate":
        state = "duplicate"
    else:
        state = "refused"
    out = {"name": result.name, "state": state, "sha1": result.sha1}
    if state != "saved":
        out["reason"] = result.message(lang)
    return out


@api
async def submit(request: Request):
    event = open_event_by_slug(request.path_params["slug"])
    pid = await run_in_threadpool(_participant, request, event)
    person = await run_in_threadpool(get_participant, event, pid)
    lang = _lang(request, person)
    per_file = int(event.config.max_upload_mb * 1024 * 1024)
    limit = min(MAX_PHOTOS * per_file, MAX_REQUEST_MB * 1024 * 1024) + MAX_FORM_BYTES
    form = await _form(request, limit, max_files=MAX_PHOTOS)
    try:
        client_id = str(form.get("client_id") or "")
        if not _CLIENT_ID_RE.fullmatch(client_id):
            raise ApiError(400, "phone.error.client_id")
        files: list[tuple[str, bytes]] = []
        too_large: list[dict] = []
        for index, upload in enumerate(form.getlist("photo")):
            if isinstance(upload, str):
                continue
            name = safe_name(upload.filename or f"photo-{index + 1}.jpg")
            if upload.size is not None and upload.size > per_file:
                # Refused by its spooled size: never read into memory.
                too_large.append({"name": name, "state": "refused", "sha1": None, "index": index,
                                  "reason": t("finds.reject.too_large", lang, name=name,
                                              size_mb=f"{upload.size / 1e6:.1f}", max_mb=f"{per_file / 1e6:.0f}")})
                continue
            files.append((name, await upload.read()))
        lat, lon = _float(form.get("lat"), -90, 90), _float(form.get("lon"), -180, 180)
        accuracy = _float(form.get("accuracy_m"), 0, 1e7)
        location = (lat, lon, accuracy) if lat is not None and lon is not None and valid_coord(lat, lon) else None
        fields = {key[len("field."):]: value for key, value in form.multi_items()
                  if key.startswith("field.") and isinstance(value, str)}
        site_id = str(form.get("site_id") or "") or None
        result = await run_in_threadpool(
            submit_find, event, pid, files, note=str(form.get("note") or ""), fields=fields,
            browser_location=location, site_id=site_id, client_key=f"{pid}:{client_id}",
            captured_at=_iso_time(form.get("taken_at")))
    finally:
        await form.close()
    photos = [_photo_state(r, lang) for r in result.files]
    # Back in the order sent: too-large refusals were never given to submit_find.
    for item in too_large:
        photos.insert(min(item.pop("index"), len(photos)), item)
    site_name = ""
    if result.site_id:
        site_name = await run_in_threadpool(_site_name, event, result.site_id)
    return JSONResponse({
        "client_id": client_id, "find_id": result.find_id, "created": result.created,
        "site_id": result.site_id, "site_name": site_name, "match_status": result.match_status,
        "location_source": result.location_source, "distance_m": result.distance_m, "photos": photos,
    }, status_code=201 if result.created else 200)


def _site_name(event, site_id: str) -> str:
    from wikitown.store.sites import site_name

    with event.store.read() as conn:
        return site_name(conn, site_id)


def _site_rows(event) -> list[dict]:
    """The walk's sites (or every located site when nothing is selected), with their article and
    photo status and the team plan, for the phone's nearby list."""
    from wikitown.store.db import finds, plan_assignments
    from wikitown.store.sites import walk_site_rows

    with event.store.read() as conn:
        photographed = {r.site_id for r in conn.execute(
            sa.select(finds.c.site_id).where(finds.c.site_id.is_not(None)).distinct())}
        plan = {r.site_id: (r.team, r.seq) for r in conn.execute(sa.select(plan_assignments))}
        rows = walk_site_rows(conn, SITES_LIMIT)
    out = []
    for r in rows:
        if not valid_coord(r["lat"], r["lon"]):
            continue
        team, seq = plan.get(r["id"], (None, None))
        out.append({"id": r["id"], "name": r["name"], "lat": r["lat"], "lon": r["lon"],
                    "article": r["article_status"] or "unchecked", "has_photo": bool(r["has_photo"]),
                    "found": r["id"] in photographed, "team": team, "seq": seq})
    return out


@api
async def event_sites(request: Request):
    event = open_event_by_slug(request.path_params["slug"])
    pid = await run_in_threadpool(_participant, request, event)
    person = await run_in_threadpool(get_participant, event, pid)
    rows = await run_in_threadpool(_site_rows, event)
    return JSONResponse({"team": person.get("team") if person else None, "sites": rows})


@api
async def messages(request: Request):
    """The phone page's strings (``phone.*`` keys) in one language."""
    lang = normalise_lang(request.path_params["lang"])
    texts = {k: v for k, v in catalogue(lang).items() if k.startswith("phone.")}
    return JSONResponse(texts, headers={"Cache-Control": "no-cache"})

