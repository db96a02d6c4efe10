"""No secret in logs or the event folder.

A flow through the real app server and the command line: passphrases set with
``event passphrase --stdin``, a wrong and a right sign-in on the organizer page (Chromium),
a participant joining and sending a photo. Then every place wikitown writes is searched for
the passphrases and the wiki bot's secret: the event folder (every file, the store's every
text value), the app server's log, ``WIKITOWN_HOME`` (where only scrypt hashes may be) and
pywikibot's log folder.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import PROJECT_ROOT
from tests.harness.app import goto_app, shot, wait_for_app
from tests.photo_samples import jpeg
from wikitown.store.events import create_event
from wikitown.store.sites import upsert_sites

pytestmark = pytest.mark.browser

ORGANIZER = "orga-Secret-7Q2x!pass"
LIBRARIAN = "libr-Secret-9Z4k!pass"
WRONG = "wrong-Secret-3W8m!guess"


def _set_passphrase(event_dir: Path, role: str, phrase: str, home: Path) -> None:
    env = dict(os.environ, WIKITOWN_HOME=str(home))
    res = subprocess.run([sys.executable, "-m", "wikitown", "event", "passphrase", str(event_dir), "--role", role,
                          "--stdin"], input=phrase + "\n", capture_output=True, text=True, env=env,
                         cwd=PROJECT_ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    assert phrase not in res.stdout + res.stderr


def _store_text(path: Path) -> str:
    """Every value of every table, as text (the JSON columns too)."""
    out = []
    with sqlite3.connect(path) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in db.execute(f'SELECT * FROM "{table}"'):
                out.extend(str(v) for v in row if v is not None)
    return "\n".join(out)


def _files_under(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path


def _leaks(secrets: dict[str, str], events: Path, home: Path, log: str) -> list[tuple[str, str]]:
    places: dict[str, str] = {}
    for path in _files_under(events):
        places[f"event folder: {path.relative_to(events)}"] = path.read_bytes().decode("utf-8", "replace")
        if path.name == "store.sqlite":
            places[f"store (every value): {path.relative_to(events)}"] = _store_text(path)
    places["app log"] = log
    for path in _files_under(home):
        places[f"WIKITOWN_HOME: {path.relative_to(home)}"] = path.read_bytes().decode("utf-8", "replace")
    pwb_logs = Path(os.environ["PYWIKIBOT_DIR"]) / "logs"
    for path in (_files_under(pwb_logs) if pwb_logs.exists() else []):
        places[f"pywikibot log: {path.name}"] = path.read_text(encoding="utf-8", errors="replace")
    return [(what, where) for where, text in places.items() for what, secret in secrets.items() if secret in text]


def test_no_passphrase_or_bot_secret_anywhere_wikitown_writes(start_app, phone_context, tmp_path, mediawiki):
    events = tmp_path / "events"
    home = tmp_path / "home"
    home.mkdir()
    ev = create_event(events / "town", name="秘密テスト", lat=34.86, lon=138.32, radius_km=3, code="CODE-S")
    upsert_sites(ev.store, [{"id": "s1", "name": "常楽寺", "lat": 34.8647761, "lon": 138.3246443}])
    ev.close()
    _set_passphrase(events / "town", "organizer", ORGANIZER, home)
    _set_passphrase(events / "town", "librarian", LIBRARIAN, home)
    server = start_app(events, home=home, args=("--logger.level=debug",))  # log as much as Streamlit can

    page = phone_context().new_page()
    goto_app(page, f"{server}/organizer?event=town&lang=en")
    page.get_by_text("Sign in as organizer").wait_for()
    for phrase in (WRONG, ORGANIZER):
        page.get_by_label("Passphrase").fill(phrase)
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page)
    page.locator("[data-testid='stDataFrame']").first.wait_for()  # signed in: the sites table
    shot(page, "secrets-organizer-signed-in")

    phone = phone_context().new_page()
    goto_app(phone, f"{server}/participant?event=town&code=CODE-S&lang=en")
    phone.get_by_role("textbox", name="Name to be credited by").fill("Secret Tester")
    phone.get_by_text("I took these photos myself").click()
    phone.get_by_role("button", name="Start").click()
    wait_for_app(phone)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg(seed=5, lat=34.8647761, lon=138.3246443))
    phone.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(photo))
    wait_for_app(phone)
    phone.get_by_role("button", name="Send", exact=True).click()
    wait_for_app(phone)
    phone.get_by_text("Saved. Thank you!").wait_for()
    server.stop()

    secrets = {"organizer passphrase": ORGANIZER, "librarian passphrase": LIBRARIAN, "wrong guess": WRONG,
               "wiki bot secret": mediawiki.bot_secret}
    assert (events / "town" / "store.sqlite").exists()
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Runtime state" in log  # Streamlit's debug log (its lines carry no level name)
    leaks = _leaks(secrets, events, home, log)
    assert not leaks, leaks
    # The passphrases are kept only as scrypt hashes, under WIKITOWN_HOME.
    access_files = [p for p in _files_under(home) if p.name == "access.json"]
    assert len(access_files) == 1
    import json

    hashes = json.loads(access_files[0].read_text())["hashes"]
    assert set(hashes) == {"organizer", "librarian"} and all(h.startswith("scrypt$") for h in hashes.values())
    assert not any("access.json" in str(p) for p in _files_under(events))


def test_bot_password_given_in_the_publish_tab_is_kept_nowhere(tmp_path, start_app, phone_context, mediawiki,
                                                               pywikibot_dir):
    """The organizer signs in (passphrase set by the CLI), gives a BotPassword in the Publish tab
    and publishes a photo to the loopback wiki: neither secret is written anywhere."""
    from tests.publish_data import EventBuilder

    events, home = tmp_path / "events", tmp_path / "home"
    home.mkdir()
    b = EventBuilder(events)
    b.photo(b.site(f"常楽寺 {b.tag}"), b.participant("写真家"))
    _set_passphrase(b.event.dir, "organizer", ORGANIZER, home)
    app = start_app(events, env={"PYWIKIBOT_DIR": str(pywikibot_dir)}, home=home, args=("--logger.level=debug",))
    page = phone_context(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False,
                         device_scale_factor=1).new_page()
    goto_app(page, f"{app}/organizer?event={b.event.dir.name}&lang=en")
    page.get_by_label("Passphrase").fill(ORGANIZER)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    page.get_by_role("tab", name="Publish").click()
    wait_for_app(page)  # a tab opens its view on the server
    for label, value in (("Where photos go", mediawiki.api_url), ("Where drafts go", mediawiki.api_url),
                         ("BotPassword login name (User@AppName)", mediawiki.bot_login_name),
                         ("BotPassword (kept for this session only, never saved)", mediawiki.bot_secret)):
        page.get_by_role("textbox", name=label, exact=True).fill(value)
        page.get_by_role("textbox", name=label, exact=True).press("Enter")
        wait_for_app(page)
    page.get_by_role("button", name="Build the plan").click()
    wait_for_app(page)
    page.get_by_role("button", name="Publish now").click()
    wait_for_app(page, timeout=60_000)
    page.get_by_text("Done: 1, failed: 0").wait_for()
    shot(page, "secrets-published")
    app.stop()
    secrets = {"organizer passphrase": ORGANIZER, "wiki bot secret": mediawiki.bot_secret}
    leaks = _leaks(secrets, events, home, app.log_path.read_text(encoding="utf-8", errors="replace"))
    assert not leaks, leaks
