"""Event codes and passphrases: hashes only, outside the event folder, throttled."""

import pytest

from wikitown.finds import access
from wikitown.core.errors import AccessDenied, TooManyAttempts
from wikitown.store.events import create_event


@pytest.fixture
def event(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    return create_event(tmp_path / "ev", name="x", lat=35, lon=135, radius_km=1, code="JOIN-2026")


def test_passphrase_is_stored_as_hash_outside_event(event, tmp_path):
    access.set_passphrase(event.dir, "organizer", "correct horse battery")
    assert access.check_passphrase(event.dir, "organizer", "correct horse battery")
    assert not access.check_passphrase(event.dir, "organizer", "wrong guess")
    assert not access.check_passphrase(event.dir, "librarian", "correct horse battery")
    for path in list(tmp_path.rglob("*")):
        if path.is_file():
            assert b"correct horse battery" not in path.read_bytes(), path
    stored = list((tmp_path / "home").rglob("access.json"))
    assert stored and b"scrypt$" in stored[0].read_bytes()
    assert not list(event.dir.rglob("access.json"))


def test_short_passphrase_refused(event):
    with pytest.raises(AccessDenied):
        access.set_passphrase(event.dir, "organizer", "short")


def test_wrong_guesses_are_throttled(event):
    access.set_passphrase(event.dir, "librarian", "books and more books")
    for _ in range(access.MAX_FAILURES - 1):
        assert not access.check_passphrase(event.dir, "librarian", "nope", client="1.2.3.4")
    assert not access.check_passphrase(event.dir, "librarian", "nope", client="1.2.3.4")
    with pytest.raises(TooManyAttempts) as err:
        access.check_passphrase(event.dir, "librarian", "books and more books", client="1.2.3.4")
    assert err.value.seconds > 0
    assert "秒" in err.value.message("ja")
    # another client is not locked out by someone else's guesses
    assert access.check_passphrase(event.dir, "librarian", "books and more books", client="5.6.7.8")


def test_event_code_is_width_and_case_insensitive_and_throttled(event):
    assert access.check_event_code(event.dir, event.config.code, "ｊｏｉｎ－２０２６".replace("－", "-"))
    assert access.check_event_code(event.dir, event.config.code, " join-2026 ")
    for _ in range(access.MAX_FAILURES):
        access.check_event_code(event.dir, event.config.code, "WRONG", client="c")
    with pytest.raises(TooManyAttempts):
        access.check_event_code(event.dir, event.config.code, "JOIN-2026", client="c")


def test_roles_reach_only_their_pages():
    assert access.can_open("participant", "participant")
    assert not access.can_open("participant", "organizer")
    assert not access.can_open("participant", "librarian")
    assert not access.can_open("librarian", "organizer")
    assert access.can_open("organizer", "librarian")
    assert not access.can_open(None, "participant")


def test_staff_choose_the_event_before_signing_in(tmp_path, monkeypatch):
    """With two events, the sign-in form offers the event picker: a librarian of the second event
    can sign in with its passphrase (which opens no other event)."""
    from streamlit.testing.v1 import AppTest

    from wikitown.finds import access as acc
    from wikitown.store.events import create_event
    from wikitown.core.paths import PROJECT_ROOT

    events = tmp_path / "events"
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    for slug in ("a-town", "b-town"):
        ev = create_event(events / slug, name=slug, lat=34.86, lon=138.32, radius_km=3)
        acc.set_passphrase(ev.dir, "librarian", f"{slug}-librarian-phrase")
        ev.close()
    at = AppTest.from_file(str(PROJECT_ROOT / "wikitown/app/views" / "librarian.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox[0].value == "a-town", list(at.main)
    at.selectbox[0].select("b-town").run()
    at.text_input[0].input("b-town-librarian-phrase")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["roles"] == {str(events / "b-town"): "librarian"}
    assert at.header[0].value == "b-town"
