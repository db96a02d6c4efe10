"""The sign-in cookie's signature, expiry and scope (wikitown.web.signin)."""

import stat

import pytest

from wikitown.web.signin import MAX_AGE, make_cookie, role_from_cookie


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_a_cookie_grants_its_role_for_its_event_until_it_expires(tmp_path, home):
    a, b = tmp_path / "a", tmp_path / "b"
    value = make_cookie(a, "librarian", now=1000)
    assert role_from_cookie(value, a, now=1000 + MAX_AGE - 1) == "librarian"
    assert role_from_cookie(value, a, now=1000 + MAX_AGE + 1) is None  # expired
    assert role_from_cookie(value, b, now=1000) is None  # another event
    key = home / "session.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32


def test_an_altered_or_foreign_cookie_grants_nothing(tmp_path):
    event = tmp_path / "ev"
    value = make_cookie(event, "librarian", now=1000)
    version, payload, sig = value.split(".")
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["r"] = "organizer"  # promote oneself
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    assert role_from_cookie(f"{version}.{forged}.{sig}", event, now=1000) is None
    for junk in ("", "v1", "v1..", "v2." + payload + "." + sig, "x" * 600, value + "x"):
        assert role_from_cookie(junk, event, now=1000) is None
    with pytest.raises(ValueError):
        make_cookie(event, "participant")
