"""Each role's pages refuse the other roles; wrong codes and passphrases are throttled in the
app too; a participant's ``?p=`` link of one event does not work in another.

AppTest for the matrix and the throttling; one direct-URL check in the browser.
"""

from __future__ import annotations

import pytest

from tests.harness import PROJECT_ROOT
from tests.harness.requirements import need
from wikitown.finds import access
from wikitown.store.events import create_event
from wikitown.finds.capture import join_event, submit_find
from wikitown.store.sites import upsert_sites

need("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

PAGES = ("participant", "librarian", "organizer")
SECRET_NOTE = "秘密のメモ-only-for-town-a"
PASSPHRASES = {"organizer": "orga-passphrase-123", "librarian": "libr-passphrase-456"}


def _event(events, slug, code):
    ev = create_event(events / slug, name=f"町 {slug}", lat=34.86, lon=138.32, radius_km=3, code=code)
    upsert_sites(ev.store, [{"id": "s1", "name": f"常楽寺 {slug}", "lat": 34.8647761, "lon": 138.3246443}])
    for role, phrase in PASSPHRASES.items():
        access.set_passphrase(ev.dir, role, phrase + slug)
    return ev


@pytest.fixture
def two_events(tmp_path, monkeypatch):
    events = tmp_path / "events"
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    a = _event(events, "town-a", "CODE-A")
    b = _event(events, "town-b", "CODE-B")
    pid = join_event(a, "Aki", "cc-by-sa-4.0")
    submit_find(a, pid, [], note=SECRET_NOTE, site_id="s1")
    return a, b, pid


def _app(ev, page: str, role: str | None, *, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["event_slug"] = ev.dir.name
    if role:
        at.session_state["roles"] = {str(ev.dir): role}
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"wikitown/app/views/{page}.py")
    return at.run()


def _everything(at) -> str:
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text",
                 "code"):
        out += [str(e.value) for e in getattr(at, kind)]
    for frame in at.dataframe:
        out.append(frame.value.to_string())
    return "\n".join(out)


def _refused(at, page: str) -> None:
    assert not at.exception, at.exception
    heads = [s.value for s in at.subheader]
    if page == "participant":
        assert heads == ["Join the event"], heads
    else:
        assert heads == [f"Sign in as {'organizer' if page == 'organizer' else 'librarian'}"], heads
    # no data of the event: no tables, no editors, no site names, no notes
    assert not at.dataframe and not at.text_area and not at.tabs
    shown = _everything(at)
    assert "常楽寺" not in shown and SECRET_NOTE not in shown


@pytest.mark.parametrize("role,page", [(r, p) for r in (None, "participant", "librarian", "organizer") for p in PAGES])
def test_each_role_opens_only_its_pages(two_events, role, page):
    a, _b, _pid = two_events
    at = _app(a, page, role)
    if access.can_open(role, page):
        assert not at.exception, at.exception
        assert not any(s.value.startswith(("Sign in as", "Join the event")) for s in at.subheader)
        if page != "participant":
            assert at.dataframe or at.text_area or at.tabs
    else:
        _refused(at, page)


def test_role_in_one_event_opens_nothing_in_another(two_events):
    a, b, _pid = two_events
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["event_slug"] = b.dir.name
    at.session_state["roles"] = {str(a.dir): "organizer"}  # signed in for town-a only
    at.run()
    at.switch_page("wikitown/app/views/organizer.py").run()
    _refused(at, "organizer")


def _submit(at, value: str):
    at.text_input[0].input(value)
    at.button[0].click()
    return at.run()


def test_sixth_wrong_passphrase_waits_and_right_one_is_refused_meanwhile(two_events):
    a, _b, _pid = two_events
    at = _app(a, "organizer", None)
    for n in range(access.MAX_FAILURES):
        _submit(at, f"wrong-guess-{n}")
        assert [e.value for e in at.error] == ["That passphrase is not right."], [e.value for e in at.error]
    _submit(at, "wrong-guess-6")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Too many wrong attempts") and "seconds" in errors[0], errors
    _submit(at, PASSPHRASES["organizer"] + "town-a")  # right, but during the lock-out
    assert any(e.value.startswith("Too many wrong attempts") for e in at.error)
    _refused(at, "organizer")
    # The librarian's sign-in is a separate bucket: not locked by the organizer guesses.
    lib = _app(a, "librarian", None)
    _submit(lib, PASSPHRASES["librarian"] + "town-a")
    assert not any(s.value.startswith("Sign in as") for s in lib.subheader)


def test_sixth_wrong_event_code_waits(two_events):
    a, _b, _pid = two_events
    at = _app(a, "participant", None)
    for n in range(access.MAX_FAILURES):
        _submit(at, f"WRONG-{n}")
        assert not any(e.value.startswith("Too many") for e in at.error)
    _submit(at, "CODE-A")  # right code, after five wrong ones: the sixth try is throttled
    assert any(e.value.startswith("Too many wrong attempts") for e in at.error), [e.value for e in at.error]
    _refused(at, "participant")


def test_participant_link_of_one_event_does_not_open_another(two_events):
    a, b, pid = two_events
    # Without the event code, the ?p= link of town-a opens nothing at all.
    at = _app(a, "participant", None, query={"event": a.dir.name, "p": pid})
    _refused(at, "participant")
    # Joined town-b with its code, the ?p= link of town-a is no one there: the consent form.
    at = _app(b, "participant", None, query={"event": b.dir.name, "code": "CODE-B", "p": pid})
    assert not at.exception
    assert "Before you start" in [s.value for s in at.subheader], [s.value for s in at.subheader]
    assert SECRET_NOTE not in _everything(at) and "Aki" not in _everything(at)
    # The same link in its own event shows the participant's finds.
    at = _app(a, "participant", None, query={"event": a.dir.name, "code": "CODE-A", "p": pid})
    assert SECRET_NOTE in [t.value for t in at.text]


@pytest.mark.browser
def test_participant_opening_the_organizer_url_gets_the_sign_in_form(start_app, phone_context, tmp_path):
    from tests.harness.app import goto_app, shot, wait_for_app

    events = tmp_path / "events"
    ev = create_event(events / "town", name="町", lat=34.86, lon=138.32, radius_km=3, code="CODE-A")
    upsert_sites(ev.store, [{"id": "s1", "name": "常楽寺テスト", "lat": 34.8647761, "lon": 138.3246443}])
    home = tmp_path / "home"
    home.mkdir()
    import os

    old = os.environ.get("WIKITOWN_HOME")
    os.environ["WIKITOWN_HOME"] = str(home)
    try:
        access.set_passphrase(ev.dir, "organizer", "orga-passphrase-123")
    finally:
        if old is None:
            os.environ.pop("WIKITOWN_HOME")
        else:
            os.environ["WIKITOWN_HOME"] = old
    url = start_app(events, home=home)
    page = phone_context().new_page()
    goto_app(page, f"{url}/participant?event=town&code=CODE-A&lang=en")
    page.get_by_text("Before you start").wait_for()
    goto_app(page, f"{url}/organizer?event=town&lang=en")
    wait_for_app(page)
    page.get_by_text("Sign in as organizer").wait_for()
    shot(page, "access-participant-at-organizer-url")
    assert page.get_by_text("常楽寺テスト").count() == 0
    assert page.locator("[data-testid='stDataFrame']").count() == 0
