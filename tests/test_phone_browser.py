"""The offline-first phone page in Chromium at iPhone size, against the real app server
(`streamlit run app.py`, which serves /phone/ and /api/v1/ beside Streamlit), on SQLite and
PostgreSQL.

A participant joins from the QR link of a generated team sheet, takes three captures with the
phone offline, closes the page and opens it again (still offline: the service worker has the
page, IndexedDB the captures), comes back online and watches all three being sent with their
progress. Then the server is killed while a capture is being sent and started again: every
capture the phone shows as saved is in the store exactly once, and none is lost.
"""

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.harness import PROJECT_ROOT
from tests.harness.app import shot
from tests.harness.phones import DEMO, copy_demo_event, gps_jpeg, site_points
from tests.harness.sheets_qr import sheet_encodes
from wikitown.core.config import load_config, save_config
from wikitown.store.db import finds, media
from wikitown.store.events import open_event
from wikitown.walk.sheets import join_url, team_link

pytestmark = pytest.mark.usefixtures("store_backend")
PHOTOS = PROJECT_ROOT / "tests" / "data" / "photos" / "yaizu"

# Remembers every state a capture showed, so the test can tell that progress was shown even when a
# send is quicker than a screenshot.
WATCH_STATES = """
window.__seen = {};
new MutationObserver(() => {
  document.querySelectorAll('.capture').forEach((li) => {
    const seen = window.__seen[li.dataset.clientId] = window.__seen[li.dataset.clientId] || {states: [], percents: []};
    if (!seen.states.includes(li.dataset.state)) seen.states.push(li.dataset.state);
    li.querySelectorAll('progress').forEach((p) => {
      if (!seen.percents.includes(p.dataset.percent)) seen.percents.push(p.dataset.percent);
    });
  });
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def _plan_sheets(event_dir: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wikitown", "plan", "--event", str(event_dir), "--teams", "2",
                           "--out", str(out)], cwd=str(PROJECT_ROOT), capture_output=True, text=True,
                          env=dict(os.environ), timeout=300)


def _store_rows(event_dir: Path):
    event = open_event(event_dir)
    try:
        with event.store.read() as conn:
            return (conn.execute(sa.select(finds)).mappings().all(),
                    conn.execute(sa.select(media.c.sha1, media.c.find_id)).all())
    finally:
        event.close()


def _captures(page) -> list[dict]:
    return page.eval_on_selector_all(".capture", "els => els.map(e => ({id: e.dataset.clientId, "
                                                 "state: e.dataset.state}))")


def test_offline_captures_survive_a_reopen_and_a_killed_server(tmp_path, start_app, phone_context, store_backend):
    events = tmp_path / "events"
    events.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    event_dir = copy_demo_event(events)
    app = start_app(events, home=home)

    # The organizer sets where phones reach the app, and prints the team sheets.
    cfg = load_config(event_dir)
    save_config(event_dir, dataclasses.replace(cfg, public_url=str(app)))
    done = _plan_sheets(event_dir, tmp_path / "sheets")
    assert done.returncode == 0, done.stderr
    assert "localhost" not in done.stderr
    link = team_link(join_url(str(app), DEMO, cfg.code), 1)
    assert link.startswith(f"{app}/phone/?event={DEMO}&code=") and link.endswith("&team=1")
    assert sheet_encodes(tmp_path / "sheets" / "team-1.pdf", link)

    points = site_points(event_dir)
    here = (points[2][1] + 2e-5, points[2][2])
    # bypass_csp: Playwright evaluates its waits as strings, which the page's CSP (rightly) forbids
    context = phone_context(geolocation=here, bypass_csp=True)
    context.add_init_script(WATCH_STATES)
    page = context.new_page()
    page.goto(link)
    page.locator("#join").wait_for(state="visible")
    assert page.locator("#join-code").input_value() == cfg.code
    page.fill("#join-credit", "焼津 花子")
    page.click("#join-button")
    page.locator("#capture").wait_for(state="visible")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    # the send button is full width and visible without scrolling; touch targets are big enough
    box = page.locator("#save-button").bounding_box()
    assert box["height"] >= 44 and box["width"] >= page.viewport_size["width"] - 40
    # the team's route from the sheet: its next stop
    page.locator("#next-stop").wait_for(state="visible")
    assert page.locator("#next-stop").inner_text().startswith("チーム1の次の目的地: 1. ")
    # the nearby list: the site we stand by comes first, with its distance and direction
    page.locator("#nearby li").first.wait_for()
    assert page.locator("#nearby li").first.get_attribute("data-site-id") == points[2][0]
    assert " m" in page.locator("#nearby li").first.inner_text()

    # Out of signal: three captures, kept on the phone.
    context.set_offline(True)
    page.locator("#net[data-online='no']").wait_for(state="attached")
    captures = [
        ("常楽寺の本堂。", [("jorakuji.jpg", (PHOTOS / "9_jorakuji_gps.jpg").read_bytes(), "image/jpeg")]),
        ("説明板あり", [("a.jpg", gps_jpeg(points[0][1], points[0][2], seed=1), "image/jpeg"),
                      ("b.jpg", gps_jpeg(points[0][1], points[0][2], seed=2), "image/jpeg")]),
        ("地蔵（位置情報なし）", [("jizo.png", (PHOTOS / "12-a_hoshakuji_jizo_noexif.png").read_bytes(), "image/png")]),
    ]
    for n, (note, files) in enumerate(captures, start=1):
        page.set_input_files("#photo-input", files=[{"name": f, "mimeType": m, "buffer": b} for f, b, m in files])
        page.locator("#chosen li").nth(len(files) - 1).wait_for()
        if note.startswith("地蔵"):
            # a photo without GPS: the phone asks before using its own position
            page.locator("#where").wait_for(state="visible")
            assert page.locator("#where-question").inner_text() == "ここで撮りましたか？"
            page.click("#save-button")
            page.locator("#capture-error").wait_for(state="visible")
            page.click("#where-yes")
        else:
            assert page.locator("#where").is_hidden()
        page.fill("#note", note)
        page.click("#save-button")
        page.wait_for_function(f"document.querySelectorAll('.capture[data-state=waiting]').length === {n}")
    shot(page, "phone-offline-three-waiting", tall=True)

    # The browser is closed and opened again, still without signal.
    page.close()
    page = context.new_page()
    page.goto(link)
    page.wait_for_function("document.querySelectorAll('.capture[data-state=waiting]').length === 3")
    assert page.locator("#net").get_attribute("data-online") == "no"
    assert page.locator("#capture").is_visible()  # still joined
    ids = [c["id"] for c in _captures(page)]
    assert len(set(ids)) == 3

    # Back in signal: everything is sent, each capture once, with its progress.
    context.set_offline(False)
    page.wait_for_function("document.querySelectorAll('.capture[data-state=saved]').length === 3",
                           timeout=60_000)
    seen = page.evaluate("window.__seen")
    for client_id in ids:
        assert "sending" in seen[client_id]["states"] and "saved" in seen[client_id]["states"]
        assert "100" in seen[client_id]["percents"]
    assert page.locator(".capture .file progress[data-percent='100']").count() == 4
    assert page.locator("#send-now").is_hidden()  # nothing waits any more
    shot(page, "phone-online-three-saved", tall=True)
    stored, photos = _store_rows(event_dir)
    assert sorted(r["client_key"].split(":", 1)[1] for r in stored) == sorted(ids)
    assert len(photos) == 4 and len({p.sha1 for p in photos}) == 4
    by_note = {r["note"]: r for r in stored}
    assert by_note["地蔵（位置情報なし）"]["location_source"] == "browser"
    assert by_note["地蔵（位置情報なし）"]["site_id"] == points[2][0]
    assert by_note["常楽寺の本堂。"]["location_source"] == "exif"
    assert all(r["captured_at"] for r in stored)

    # The server dies while a capture is being sent, and comes back.
    from bench._photos import camera_jpeg, variant

    big = camera_jpeg(4.0)
    page.set_input_files("#photo-input", files=[
        {"name": f"big{k}.jpg", "mimeType": "image/jpeg", "buffer": variant(big, k)} for k in range(3)])
    page.locator("#chosen li").nth(2).wait_for()
    page.fill("#note", "送信中に止まる")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    # a slow uplink (2 Mbit/s), as on mobile data: the upload takes a few seconds
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 40, "downloadThroughput": -1,
                                                  "uploadThroughput": 256 * 1024})
    page.click("#save-button")
    page.locator(".capture[data-state=sending]").wait_for(state="attached", timeout=30_000)
    os.killpg(app.process.pid, signal.SIGKILL)
    app.process.wait(10)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.wait_for_function("document.querySelectorAll('.capture[data-state=waiting]').length === 1",
                           timeout=30_000)
    restarted = start_app(events, home=home, port=app.port)
    assert restarted.port == app.port
    page.wait_for_function("document.querySelectorAll('.capture[data-state=saved]').length === 4",
                           timeout=120_000)
    shot(page, "phone-after-server-restart", tall=True)
    shown = _captures(page)
    assert [c["state"] for c in shown] == ["saved"] * 4  # none lost, none refused
    stored, photos = _store_rows(event_dir)
    keys = [r["client_key"].split(":", 1)[1] for r in stored]
    assert sorted(keys) == sorted(c["id"] for c in shown)  # every capture shown as saved, exactly once
    assert len(photos) == 7 and len({p.sha1 for p in photos}) == 7
    assert {p.find_id for p in photos} <= {r["id"] for r in stored}
    # and it was the backend under test that held them
    assert (event_dir / "store.sqlite").exists() == (store_backend is None)


def test_sheets_that_would_carry_localhost_warn(tmp_path, monkeypatch):
    events = tmp_path / "events"
    events.mkdir()
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WIKITOWN_PUBLIC_URL", raising=False)
    event_dir = copy_demo_event(events)
    done = _plan_sheets(event_dir, tmp_path / "local")
    assert done.returncode == 0, done.stderr
    assert "http://localhost:8501" in done.stderr and "public_url" in done.stderr
    assert sheet_encodes(tmp_path / "local" / "team-1.pdf",
                         f"http://localhost:8501/phone/?event={DEMO}&code={load_config(event_dir).code}&team=1")
    cfg = load_config(event_dir)
    save_config(event_dir, dataclasses.replace(cfg, public_url="https://walk.example.org"))
    done = _plan_sheets(event_dir, tmp_path / "public")
    assert done.returncode == 0 and "localhost" not in done.stderr
    assert sheet_encodes(tmp_path / "public" / "team-2.pdf",
                         f"https://walk.example.org/phone/?event={DEMO}&code={cfg.code}&team=2")
