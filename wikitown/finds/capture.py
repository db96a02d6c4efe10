"""Finds: what participants send during the walk (photos, a note, the event's own
note fields), matched to the nearest site.

One find is stored in ONE store transaction: the media files are written first
(atomically, content-addressed: an orphaned file after a crash is harmless and
reused by the retry), then the find and its media rows together, so a crash
never leaves half a find. A retried upload (same ``client_key``) is the same
find; the same photo (same SHA-1 of the original bytes) is one photo.

Location, in this order: the photo's EXIF GPS, the browser's geolocation at
upload time, the site the participant picked. A find is matched to the nearest
site within ``EventConfig.match_radius_m``; misses and ties go to the queue,
where an organizer assigns them.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa

from wikitown.core.licences import LICENCES
from wikitown.core.errors import InputError
from wikitown.core.geo import haversine_m, valid_coord
from wikitown.store.media import put_bytes
from wikitown.finds.photos import PhotoRejected, prepare_photo, safe_name
from wikitown.store.db import finds, media, now, participants
from wikitown.store.sites import site_points

# Two sites whose distances differ by less than this are a tie: a person decides.
TIE_MARGIN_M = 5.0
MAX_NOTE_CHARS = 5000
MAX_NAME_CHARS = 100
_WIKI_USER_FORBIDDEN = set("#<>[]|{}/@:")


@dataclass
class FileResult:
    """What happened to one uploaded file: ``accepted``, ``duplicate`` or ``rejected``."""

    name: str
    status: str
    key: str  # message key, e.g. finds.file.accepted, finds.reject.too_large
    params: dict = field(default_factory=dict)
    sha1: str | None = None
    find_id: str | None = None  # for a duplicate: the find that already holds the photo
    index: int = 0  # position in the batch, so results come back in the order sent

    def message(self, lang: str = "en") -> str:
        from wikitown.core.i18n import t

        return t(self.key, lang, name=self.name, **self.params)


@dataclass
class SubmitResult:
    find_id: str | None  # None when nothing was stored (every file rejected or a duplicate, no note)
    created: bool  # False when the find already existed (a retry with the same client_key)
    files: list[FileResult] = field(default_factory=list)
    site_id: str | None = None
    match_status: str | None = None
    location_source: str | None = None
    distance_m: float | None = None

    @property
    def accepted(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "accepted"]

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]


@dataclass
class Match:
    site_id: str | None
    status: str  # matched or queue
    distance_m: float | None
    reason: str = ""  # none, tie, far, inaccurate, no_location


# --------------------------------------------------------------------------------------------
# participants


def _clean_text(value, limit: int) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    return " ".join(text.split())[:limit]


def normalise_wiki_user(name: str) -> str:
    """``user:taro_yamada`` -> ``Taro yamada`` (MediaWiki's own form); raises InputError when
    the name cannot be a Wikimedia user name."""
    text = _clean_text(name, 85).replace("_", " ")
    for prefix in ("user:", "利用者:", "特別:投稿記録/"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):].strip()
    if not text:
        return ""
    if set(text) & _WIKI_USER_FORBIDDEN:
        raise InputError(f"not a Wikimedia user name: {name!r}", key="finds.error.wiki_user", name=name)
    return text[0].upper() + text[1:]


def join_event(event, display_name: str, licence: str, *, wiki_user: str = "", team: int | None = None,
               lang: str = "ja", participant_id: str | None = None) -> str:
    """Record a participant and their consent (credit and licence); returns their id.
    With ``participant_id`` of an existing participant, updates them (a new consent
    time) - finds already sent keep the credit and licence they were sent with."""
    name = _clean_text(display_name, MAX_NAME_CHARS)
    wiki = normalise_wiki_user(wiki_user)
    if not name:
        name = wiki
    if not name:
        raise InputError("a name to be credited by is needed", key="finds.error.name_required")
    if licence not in LICENCES:
        raise InputError(f"unknown licence {licence!r}", key="finds.error.licence", licence=licence)
    values = dict(display_name=name, wiki_user=wiki, licence=licence, consent_at=now(), team=team,
                  lang=lang if lang in ("ja", "en") else "ja")
    with event.store.write() as conn:
        if participant_id and conn.execute(sa.select(participants.c.id).where(
                participants.c.id == participant_id)).first():
            conn.execute(participants.update().where(participants.c.id == participant_id).values(**values))
            return participant_id
        pid = participant_id or "p" + secrets.token_urlsafe(12)
        conn.execute(participants.insert().values(id=pid, created_at=now(), **values))
    return pid


def get_participant(event, participant_id: str) -> dict | None:
    with event.store.read() as conn:
        row = conn.execute(sa.select(participants).where(participants.c.id == participant_id)).mappings().first()
    return dict(row) if row else None


# --------------------------------------------------------------------------------------------
# matching


def located_sites(conn) -> list[dict]:
    return [{"id": sid, "name": name, "lat": lat, "lon": lon} for sid, (name, lat, lon) in site_points(conn).items()
            if valid_coord(lat, lon)]


def nearest_sites(site_rows: list[dict], lat: float, lon: float, limit: int = 5) -> list[tuple[float, dict]]:
    ranked = sorted(((haversine_m(lat, lon, s["lat"], s["lon"]), s) for s in site_rows), key=lambda p: p[0])
    return ranked[:limit]


def match_location(site_rows: list[dict], lat: float | None, lon: float | None, radius_m: float,
                   accuracy_m: float | None = None) -> Match:
    """The nearest site within ``radius_m``; a tie, a miss or a location vaguer than the
    radius goes to the queue."""
    if lat is None or lon is None:
        return Match(None, "queue", None, "no_location")
    ranked = nearest_sites(site_rows, lat, lon, 2)
    if not ranked:
        return Match(None, "queue", None, "far")
    best_d, best = ranked[0]
    if best_d > radius_m:
        return Match(None, "queue", round(best_d, 1), "far")
    if accuracy_m is not None and accuracy_m > radius_m:
        return Match(None, "queue", round(best_d, 1), "inaccurate")
    if len(ranked) > 1 and ranked[1][0] <= radius_m and ranked[1][0] - best_d < TIE_MARGIN_M:
        return Match(None, "queue", round(best_d, 1), "tie")
    return Match(best["id"], "matched", round(best_d, 1), "")


def suggest_site(event, lat: float | None, lon: float | None, accuracy_m: float | None = None) -> Match:
    """What the participant page proposes before sending."""
    with event.store.read() as conn:
        return match_location(located_sites(conn), lat, lon, event.config.match_radius_m, accuracy_m)


# --------------------------------------------------------------------------------------------
# submitting


def _clean_fields(event, fields: dict | None) -> dict:
    """Only the event's own note fields, each as its declared type."""
    out = {}
    declared = {f.key: f for f in event.config.note_fields}
    for key, value in (fields or {}).items():
        spec = declared.get(key)
        if spec is None or value is None or value == "":
            continue
        if spec.type == "bool":
            out[key] = bool(value)
        elif spec.type == "number":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InputError(f"{key}: not a number: {value!r}", key="finds.error.field_number",
                                 field=spec.label_ja) from None
            out[key] = int(number) if number.is_integer() else number
        elif spec.type == "choice":
            if value not in spec.choices:
                raise InputError(f"{key}: not one of the choices: {value!r}", key="finds.error.field_choice",
                                 field=spec.label_ja)
            out[key] = value
        else:
            out[key] = _note(value)
    return out


def _note(text) -> str:
    """Stored exactly as typed (shown as text, never as markup); too long is refused, not cut."""
    text = str(text or "")
    if len(text) > MAX_NOTE_CHARS:
        raise InputError(f"the note is longer than {MAX_NOTE_CHARS} characters", key="finds.error.note_too_long",
                         max=MAX_NOTE_CHARS, length=len(text))
    return text


def _browser_location(loc) -> tuple[float, float, float | None] | None:
    if not loc:
        return None
    lat, lon = loc[0], loc[1]
    acc = loc[2] if len(loc) > 2 else None
    if not valid_coord(lat, lon):
        return None
    try:
        acc = float(acc) if acc is not None else None
    except (TypeError, ValueError):
        acc = None
    return float(lat), float(lon), acc


def _existing(conn, client_key: str | None) -> dict | None:
    if not client_key:
        return None
    row = conn.execute(sa.select(finds).where(finds.c.client_key == client_key)).mappings().first()
    return dict(row) if row else None


def submit_find(event, participant_id: str, files: list[tuple[str, bytes]] | None = None, note: str = "",
                fields: dict | None = None, browser_location=None, site_id: str | None = None,
                client_key: str | None = None, captured_at: str | None = None) -> SubmitResult:
    """Store one find: photos, note and note fields. Every file gets its own result
    (accepted / duplicate / rejected with a message key); a bad file never stops the
    others. ``browser_location`` is ``(lat, lon, accuracy_m)`` or None; ``site_id`` is
    the site the participant chose (it overrides the suggestion); ``client_key`` makes
    a retried upload the same find; ``captured_at`` is when the phone took it (ISO time)."""
    note = _note(note)
    clean_fields = _clean_fields(event, fields)
    max_bytes = int(event.config.max_upload_mb * 1024 * 1024)
    results: list[FileResult] = []
    prepared = []
    seen: set[str] = set()
    for index, (name, data) in enumerate(files or []):
        label = safe_name(name)
        try:
            photo = prepare_photo(bytes(data), label, max_bytes=max_bytes)
        except PhotoRejected as exc:
            results.append(FileResult(label, "rejected", exc.key, {k: v for k, v in exc.params.items() if k != "name"},
                                      index=index))
            continue
        if photo.sha1 in seen:
            results.append(FileResult(label, "duplicate", "finds.file.duplicate_batch", sha1=photo.sha1, index=index))
            continue
        seen.add(photo.sha1)
        photo.index = index
        prepared.append(photo)
    # Files first (atomic, by content); the rows below make them part of a find.
    stored = []
    for photo in prepared:
        _, path = put_bytes(event.dir, photo.data, photo.ext, sha1=photo.sha1)
        publish_sha1, publish_path = put_bytes(event.dir, photo.publish, "jpg", kind="publish")
        _, thumb_path = put_bytes(event.dir, photo.thumb, "jpg", kind="thumb")
        stored.append((photo, path, publish_path, publish_sha1, thumb_path))
    browser = _browser_location(browser_location)
    try:
        return _write_find(event, participant_id, stored, results, note, clean_fields, browser, site_id,
                           client_key, captured_at)
    except sa.exc.IntegrityError:
        # Another upload with the same client_key or photo won the race: report what is stored now.
        return _write_find(event, participant_id, stored, results, note, clean_fields, browser, site_id,
                           client_key, captured_at)


def _write_find(event, participant_id, stored, file_results, note, clean_fields, browser, site_id, client_key,
                captured_at=None):
    results = list(file_results)
    with event.store.write() as conn:
        person = conn.execute(sa.select(participants).where(participants.c.id == participant_id)).mappings().first()
        if person is None:
            raise InputError(f"unknown participant {participant_id!r}", key="finds.error.no_participant")
        existing = _existing(conn, client_key)
        new_photos = []
        for item in stored:
            photo = item[0]
            owner = conn.execute(sa.select(media.c.find_id).where(media.c.sha1 == photo.sha1)).first()
            if owner is not None:
                retry = existing is not None and owner.find_id == existing["id"]
                results.append(FileResult(photo.name, "duplicate", "finds.file.retry" if retry else "finds.file.duplicate",
                                          sha1=photo.sha1, find_id=owner.find_id, index=photo.index))
            else:
                new_photos.append(item)
        if existing is not None:
            # A retry of a find already stored: only photos it did not carry yet are added.
            _insert_media(conn, existing["id"], new_photos, results)
            return SubmitResult(existing["id"], False, _order(results), existing["site_id"],
                                existing["match_status"], existing["location_source"], existing["distance_m"])
        if not new_photos and not note.strip() and not clean_fields:
            return SubmitResult(None, False, _order(results))
        # Location: EXIF, then the browser, then the site picked.
        lat = lon = acc = None
        source = "none"
        gps = next((p for p, *_ in new_photos if p.info.has_gps), None)
        if gps is not None:
            lat, lon, source = gps.info.lat, gps.info.lon, "exif"
        elif browser is not None:
            (lat, lon, acc), source = browser, "browser"
        site_rows = located_sites(conn)
        radius = event.config.match_radius_m
        chosen = None
        if site_id:
            point = site_points(conn, [site_id]).get(site_id)
            chosen = {"id": site_id, "lat": point[1], "lon": point[2]} if point else None
            if chosen is None:
                raise InputError(f"unknown site {site_id!r}", key="finds.error.no_site")
        auto = match_location(site_rows, lat, lon, radius, acc)
        if chosen is not None:
            distance = (round(haversine_m(lat, lon, chosen["lat"], chosen["lon"]), 1)
                        if lat is not None and valid_coord(chosen["lat"], chosen["lon"]) else None)
            if lat is None and valid_coord(chosen["lat"], chosen["lon"]):
                lat, lon, source = chosen["lat"], chosen["lon"], "site"
            status = "matched" if auto.site_id == chosen["id"] else "assigned"
            match = Match(chosen["id"], status, distance)
        else:
            match = auto
        stamp = _stamp()
        find_id = "f" + secrets.token_urlsafe(12)
        conn.execute(finds.insert().values(
            id=find_id, participant_id=participant_id, site_id=match.site_id, note=note, fields=clean_fields,
            lat=lat, lon=lon, location_source=source, accuracy_m=acc, match_status=match.status,
            distance_m=match.distance_m, licence=person["licence"], credit=person["display_name"],
            client_key=client_key, captured_at=captured_at, created_at=stamp, updated_at=stamp))
        _insert_media(conn, find_id, new_photos, results)
    return SubmitResult(find_id, True, _order(results), match.site_id, match.status, source, match.distance_m)


def _insert_media(conn, find_id: str, new_photos: list, results: list[FileResult]) -> None:
    stamp = now()
    for photo, path, publish_path, publish_sha1, thumb_path in new_photos:
        info = photo.info
        conn.execute(media.insert().values(
            sha1=photo.sha1, find_id=find_id, original_name=photo.name, format=info.format,
            size=len(photo.data), width=info.width, height=info.height, taken=info.taken, lat=info.lat,
            lon=info.lon, orientation=info.orientation, path=path, publish_path=publish_path,
            publish_sha1=publish_sha1, thumb_path=thumb_path, created_at=stamp))
        results.append(FileResult(photo.name, "accepted", "finds.file.accepted", sha1=photo.sha1,
                                  find_id=find_id, index=photo.index))


def _stamp() -> str:
    """Microseconds, so finds sent within one second keep their order (lists, exports)."""
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _order(results: list[FileResult]) -> list[FileResult]:
    return sorted(results, key=lambda r: r.index)


# --------------------------------------------------------------------------------------------
# reading, editing, assigning


def _with_media(conn, rows) -> list[dict]:
    out = [dict(r) for r in rows]
    if not out:
        return out
    ids = [r["id"] for r in out]
    photos: dict[str, list[dict]] = {}
    for m in conn.execute(sa.select(media).where(media.c.find_id.in_(ids)).order_by(media.c.created_at)).mappings():
        photos.setdefault(m["find_id"], []).append(dict(m))
    names = {sid: p[0] for sid, p in site_points(conn, {r["site_id"] for r in out if r["site_id"]}).items()}
    for r in out:
        r["media"] = photos.get(r["id"], [])
        r["site_name"] = names.get(r["site_id"], "")
        if isinstance(r.get("fields"), str):  # JSON text from a foreign driver
            r["fields"] = json.loads(r["fields"])
        r["fields"] = r.get("fields") or {}
    return out


def list_finds(event, *, status: str | None = None, participant_id: str | None = None,
               site_id: str | None = None) -> list[dict]:
    """Finds, newest first, each with its ``media`` rows and ``site_name``."""
    query = sa.select(finds).order_by(finds.c.created_at.desc(), finds.c.id)
    if status:
        query = query.where(finds.c.match_status == status)
    if participant_id:
        query = query.where(finds.c.participant_id == participant_id)
    if site_id:
        query = query.where(finds.c.site_id == site_id)
    with event.store.read() as conn:
        return _with_media(conn, conn.execute(query).mappings().all())


def get_find(event, find_id: str) -> dict | None:
    with event.store.read() as conn:
        rows = _with_media(conn, conn.execute(sa.select(finds).where(finds.c.id == find_id)).mappings().all())
    return rows[0] if rows else None


def my_finds(event, participant_id: str) -> list[dict]:
    return list_finds(event, participant_id=participant_id)


def queue(event) -> list[dict]:
    """Finds waiting for an organizer: no site, or a tie."""
    return list_finds(event, status="queue")


def edit_find(event, find_id: str, participant_id: str, *, note: str | None = None, fields: dict | None = None,
              site_id: str | None = None) -> dict:
    """The participant's own change to a find, allowed until it is reviewed."""
    clean = _clean_fields(event, fields) if fields is not None else None
    with event.store.write() as conn:
        row = conn.execute(sa.select(finds).where(finds.c.id == find_id)).mappings().first()
        if row is None or row["participant_id"] != participant_id:
            raise InputError(f"no such find {find_id!r}", key="finds.error.no_find")
        if row["reviewed_at"]:
            raise InputError("this find has been reviewed and can no longer be changed",
                             key="finds.error.reviewed")
        values: dict = {"updated_at": now()}
        if note is not None:
            values["note"] = _note(note)
        if clean is not None:
            values["fields"] = clean
        if site_id is not None and site_id != row["site_id"]:
            values.update(_assignment(conn, row, site_id))
        conn.execute(finds.update().where(finds.c.id == find_id).values(**values))
    return get_find(event, find_id)


def _assignment(conn, row, site_id: str) -> dict:
    point = site_points(conn, [site_id]).get(site_id)
    site = {"id": site_id, "lat": point[1], "lon": point[2]} if point else None
    if site is None:
        raise InputError(f"unknown site {site_id!r}", key="finds.error.no_site")
    values = {"site_id": site_id, "match_status": "assigned", "distance_m": None}
    if row["lat"] is not None and row["location_source"] != "site" and valid_coord(site["lat"], site["lon"]):
        values["distance_m"] = round(haversine_m(row["lat"], row["lon"], site["lat"], site["lon"]), 1)
    elif valid_coord(site["lat"], site["lon"]) and row["location_source"] in ("site", "none", None):
        values.update(lat=site["lat"], lon=site["lon"], location_source="site")
    return values


def assign_find(event, find_id: str, site_id: str) -> dict:
    """An organizer puts a find (usually from the queue) at a site."""
    with event.store.write() as conn:
        row = conn.execute(sa.select(finds).where(finds.c.id == find_id)).mappings().first()
        if row is None:
            raise InputError(f"no such find {find_id!r}", key="finds.error.no_find")
        values = _assignment(conn, row, site_id)
        values["updated_at"] = now()
        conn.execute(finds.update().where(finds.c.id == find_id).values(**values))
    return get_find(event, find_id)


def mark_reviewed(event, find_id: str, reviewed: bool = True) -> None:
    """After review the participant can no longer edit the find."""
    with event.store.write() as conn:
        conn.execute(finds.update().where(finds.c.id == find_id).values(
            reviewed_at=now() if reviewed else None, updated_at=now()))


def counts(event) -> dict[str, int]:
    with event.store.read() as conn:
        rows = conn.execute(sa.select(finds.c.match_status, sa.func.count()).group_by(finds.c.match_status)).all()
        photos = conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one()
    out = {status: n for status, n in rows}
    out["photos"] = photos
    out["finds"] = sum(n for status, n in rows)
    return out
