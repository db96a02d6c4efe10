"""The participants' HTTP API (docs/api.md) over real HTTP: the phone page's routes served by uvicorn
(as the app's server serves them), against the demo event's real sites, on SQLite and PostgreSQL."""

import dataclasses
import hashlib
import json
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from tests.harness.mediawiki import reserve_port
from tests.harness.phones import DEMO, DEMO_CODE, copy_demo_event, gps_jpeg, site_points
from tests.photo_samples import jpeg
from wikitown.core.config import load_config, save_config
from wikitown.finds import access
from wikitown.store.db import api_tokens, finds, media
from wikitown.store.events import open_event

pytestmark = pytest.mark.usefixtures("store_backend")


class _Server:
    def __init__(self, app):
        import uvicorn

        port, reservation = reserve_port()
        reservation.close()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def api(tmp_path, monkeypatch):
    """The demo event (its open-data sites imported) and the phone routes on a real HTTP server."""
    from starlette.applications import Starlette

    from wikitown import web
    from wikitown.web import api as api_mod

    events = tmp_path / "events"
    events.mkdir()
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    event_dir = copy_demo_event(events)
    api_mod._EVENTS.clear()
    server = _Server(Starlette(routes=web.routes(), middleware=web.middleware()))
    server.event_dir = event_dir
    server.base = f"{server.url}/api/v1/events/{DEMO}"
    yield server
    server.stop()
    for _mtime, event in api_mod._EVENTS.values():
        event.close()
    api_mod._EVENTS.clear()


def _join(api, credit="Hanako", code=DEMO_CODE, **extra):
    return requests.post(f"{api.base}/join", data={"code": code, "credit": credit, "licence": "cc-by-4.0", **extra},
                         timeout=30)


def _token(api, **kw) -> str:
    r = _join(api, **kw)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _send(api, token, files, client_id="capture-0001", lang=None, **fields):
    data = {"client_id": client_id, **fields}
    url = f"{api.base}/finds" + (f"?lang={lang}" if lang else "")
    return requests.post(url, headers={"Authorization": f"Bearer {token}"}, data=data,
                         files=[("photo", (name, body, "image/jpeg")) for name, body in files], timeout=60)


def _stored(api):
    event = open_event(api.event_dir)
    try:
        with event.store.read() as conn:
            return (conn.execute(sa.select(finds)).mappings().all(),
                    conn.execute(sa.select(media)).mappings().all(),
                    conn.execute(sa.select(api_tokens)).mappings().all())
    finally:
        event.close()


def test_join_gives_a_token_stored_only_as_its_hash(api):
    r = _join(api, credit="  Ｈａｎａｋｏ  ")
    assert r.status_code == 200
    body = r.json()
    assert body["credit"] == "Hanako" and body["licence"] == "cc-by-4.0" and body["event"]["slug"] == DEMO
    token = body["token"]
    assert len(token) >= 40
    _finds, _media, tokens = _stored(api)
    assert [t["token_sha256"] for t in tokens] == [hashlib.sha256(token.encode()).hexdigest()]
    assert tokens[0]["participant_id"] == body["participant_id"]
    assert token not in json.dumps([dict(t) for t in tokens])
    assert _token(api) != token  # every join a new random token
    assert _join(api, team="2").json()["team"] == 2  # joined from team 2's sheet
    assert _join(api, team="x").json()["team"] is None


def test_wrong_code_is_refused_in_japanese_then_throttled(api):
    r = _join(api, code="WRONG")
    assert r.status_code == 403 and r.json()["error"] == "phone.error.code"
    assert "参加コード" in r.json()["message"]
    for _ in range(access.MAX_FAILURES - 1):
        _join(api, code="WRONG")
    r = _join(api, code=DEMO_CODE)  # even the right code waits now: the lock is per client
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.json()["error"] == "error.too_many_attempts"


def test_finds_need_a_known_token(api):
    r = _send(api, "", [("a.jpg", jpeg(seed=1))])
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    r = _send(api, "not-a-token", [("a.jpg", jpeg(seed=1))])
    assert r.status_code == 401
    assert _stored(api)[0] == []


def test_a_capture_is_stored_once_however_often_it_is_sent(api, store_backend):
    token = _token(api)
    site, lat, lon = site_points(api.event_dir)[0]
    photos = [("gps.jpg", gps_jpeg(lat, lon, seed=1)), ("plain.jpg", jpeg(seed=2)),
              ("broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")]
    first = _send(api, token, photos, note="説明板あり", lat=str(lat), lon=str(lon), accuracy_m="8",
                  taken_at="2026-11-28T10:30:00+09:00", **{"field.signboard": "1"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["find_id"] and body["created"] is True
    assert body["site_id"] == site and body["match_status"] == "matched" and body["location_source"] == "exif"
    assert [p["state"] for p in body["photos"]] == ["saved", "saved", "refused"]
    assert "broken.jpg" in body["photos"][2]["reason"] and "壊れ" in body["photos"][2]["reason"]
    for _ in range(2):  # the phone did not hear the answer and sends the same capture again
        again = _send(api, token, photos, note="説明板あり", lat=str(lat), lon=str(lon), lang="en")
        assert again.status_code == 200
        assert again.json()["find_id"] == body["find_id"] and again.json()["created"] is False
        assert [p["state"] for p in again.json()["photos"]] == ["saved", "saved", "refused"]
        assert "damaged" in again.json()["photos"][2]["reason"]
    stored, photos_stored, _ = _stored(api)
    assert len(stored) == 1 and len(photos_stored) == 2
    row = stored[0]
    assert row["note"] == "説明板あり" and row["fields"] == {"signboard": True}
    assert row["captured_at"] == "2026-11-28T01:30:00+00:00"
    assert row["client_key"].endswith(":capture-0001")
    assert (api.event_dir / "store.sqlite").exists() == (store_backend is None)


def test_another_participant_with_the_same_client_id_is_another_find(api):
    a, b = _token(api, credit="A"), _token(api, credit="B")
    ra = _send(api, a, [("a.jpg", jpeg(seed=11))], client_id="same-id-123")
    rb = _send(api, b, [("b.jpg", jpeg(seed=12))], client_id="same-id-123")
    assert ra.status_code == rb.status_code == 201
    assert ra.json()["find_id"] != rb.json()["find_id"]
    # and a photo another find already holds is a duplicate, with the reason
    rc = _send(api, b, [("a-again.jpg", jpeg(seed=11))], client_id="other-id-456")
    assert rc.json()["photos"][0]["state"] == "duplicate" and rc.json()["photos"][0]["reason"]


def test_phone_position_places_a_photo_without_gps(api):
    token = _token(api)
    site, lat, lon = site_points(api.event_dir)[1]
    r = _send(api, token, [("nogps.jpg", jpeg(seed=21))], lat=str(lat + 2e-5), lon=str(lon), accuracy_m="6")
    assert r.json()["site_id"] == site and r.json()["location_source"] == "browser"
    assert r.json()["site_name"]


def test_bad_client_ids_and_forms_are_refused_with_a_reason(api):
    token = _token(api)
    r = _send(api, token, [("a.jpg", jpeg(seed=31))], client_id="x")
    assert r.status_code == 400 and r.json()["error"] == "phone.error.client_id"
    r = requests.post(f"{api.base}/finds", headers={"Authorization": f"Bearer {token}"},
                      data=b"garbage", timeout=30)
    assert r.status_code in (400, 422) or r.json()["error"] == "phone.error.client_id"
    assert _stored(api)[0] == []


def test_size_limits_are_checked_before_the_body_is_read(api):
    cfg = load_config(api.event_dir)
    save_config(api.event_dir, dataclasses.replace(cfg, max_upload_mb=1.0))
    token = _token(api)
    big = jpeg(seed=41) + b"\0" * (1024 * 1024 + 10)
    r = _send(api, token, [("big.jpg", big), ("ok.jpg", jpeg(seed=42))], client_id="limits-0001")
    assert r.status_code == 201
    states = r.json()["photos"]
    assert [p["state"] for p in states] == ["refused", "saved"]
    assert "big.jpg" in states[0]["reason"] and "MB" in states[0]["reason"]
    # A whole request over the cap: refused by its declared length ...
    limit = 10 * 1024 * 1024 + 64 * 1024
    r = requests.post(f"{api.base}/finds", headers={"Authorization": f"Bearer {token}",
                                                    "Content-Type": "multipart/form-data; boundary=x"},
                      data=b"\0" * (limit + 1), timeout=60)
    assert r.status_code == 413 and r.json()["error"] == "phone.error.request_too_large"

    # ... and, sent in chunks without a length, by counting.
    def chunks():
        yield (b'--x\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
               b"Content-Type: image/jpeg\r\n\r\n")
        for _ in range(12):
            yield b"\0" * (1024 * 1024)

    try:
        r = requests.post(f"{api.base}/finds", headers={"Authorization": f"Bearer {token}",
                                                        "Content-Type": "multipart/form-data; boundary=x"},
                          data=chunks(), timeout=60)
        assert r.status_code == 413
    except requests.ConnectionError:
        pass  # the server answered 413 and closed while the client was still sending: refused too
    assert len(_stored(api)[0]) == 1


def test_an_unexpected_failure_is_a_sentence_not_a_traceback(api, monkeypatch):
    from wikitown.web import api as api_mod

    def broken(*a, **k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(api_mod, "submit_find", broken)
    token = _token(api)
    r = _send(api, token, [("a.jpg", jpeg(seed=51))])
    assert r.status_code == 500
    assert r.json()["error"] == "phone.error.server"
    assert "secret" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert "端末に残って" in r.json()["message"]


def test_sites_for_the_nearby_list(api):
    token = _token(api)
    r = requests.get(f"{api.base}/sites", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200
    rows = r.json()["sites"]
    ids = {s for s, _lat, _lon in site_points(api.event_dir, limit=1000)}
    assert ids <= {row["id"] for row in rows}
    assert all({"name", "lat", "lon", "article", "has_photo", "found"} <= set(row) for row in rows)
    assert requests.get(f"{api.base}/sites", timeout=30).status_code == 401


def test_the_phone_page_and_its_strings_are_served(api):
    page = requests.get(f"{api.url}/phone/?event={DEMO}&code={DEMO_CODE}", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<link rel="manifest" href="/phone/manifest.webmanifest">' in page.text
    manifest = requests.get(f"{api.url}/phone/manifest.webmanifest", timeout=30).json()
    assert manifest["start_url"] == "/phone/" and manifest["display"] == "standalone"
    sw = requests.get(f"{api.url}/phone/sw.js", timeout=30)
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
    assert requests.get(f"{api.url}/phone/secret.py", timeout=30).status_code == 404
    assert requests.get(f"{api.url}/phone/..%2F__init__.py", timeout=30).status_code == 404
    ja = requests.get(f"{api.url}/api/v1/i18n/ja", timeout=30).json()
    en = requests.get(f"{api.url}/api/v1/i18n/en", timeout=30).json()
    assert ja["phone.where.question"] == "ここで撮りましたか？" and en["phone.where.question"] == "Did you take it here?"
    assert set(ja) == set(en) and all(k.startswith("phone.") for k in ja)
    info = requests.get(f"{api.url}/api/v1/events/{DEMO}", timeout=30).json()
    assert info["name"] and DEMO_CODE not in json.dumps(info)  # the join code is never given away
    assert requests.get(f"{api.url}/api/v1/events/nope", timeout=30).status_code == 404


def test_signin_refuses_a_form_posted_from_another_site(api):
    r = requests.post(f"{api.url}/auth/signin", data={"event": DEMO, "role": "organizer",
                                                       "passphrase": access.DEMO_PASSPHRASES["organizer"]},
                      headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                      allow_redirects=False, timeout=30)
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = requests.post(f"{api.url}/auth/signin", data={"event": DEMO, "role": "organizer",
                                                       "passphrase": access.DEMO_PASSPHRASES["organizer"]},
                      headers={"Origin": api.url}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"].startswith("/organizer?event=")
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=strict" in r.headers["set-cookie"]
