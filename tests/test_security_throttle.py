"""Guessing passphrases and join codes (issue 13, point 4): counted per role and client,
forwarding headers believed only from named proxies, counters that expire, and no way to
lock a role out for everyone."""

import time

import pytest

from wikitown.core.errors import TooManyAttempts
from wikitown.finds import access
from wikitown.store.events import create_event

RIGHT = "correct horse battery"


@pytest.fixture
def event(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    ev = create_event(tmp_path / "ev", name="x", lat=35, lon=135, radius_km=1, code="JOIN-7Q4K-2026")
    access.set_passphrase(ev.dir, "organizer", RIGHT)
    yield ev
    ev.close()


def test_forwarded_address_counts_only_behind_a_named_proxy(monkeypatch):
    monkeypatch.delenv(access.TRUSTED_PROXIES_ENV, raising=False)
    # A bare `streamlit run`: uvicorn took the address from X-Forwarded-For sent over loopback.
    assert access.client_key("198.51.100.9", "198.51.100.9", "s1") == "session:s1"
    assert access.client_key("198.51.100.9", None, "s1") == "198.51.100.9"
    assert access.client_key("127.0.0.1", None, "s1") == "session:s1"
    assert access.client_key(None, None, "s2") == "session:s2"
    monkeypatch.setenv(access.TRUSTED_PROXIES_ENV, "10.0.0.2")  # `serve --trusted-proxy 10.0.0.2`
    assert access.client_key("198.51.100.9", "198.51.100.9", "s1") == "198.51.100.9"


def test_clients_without_an_address_are_never_one_bucket(event):
    """Behind a proxy that sends no header every client looks alike: one visitor's wrong
    guesses lock that visitor's session, not the organizer's."""
    attacker, organizer = access.client_key(None, None, "attacker"), access.client_key(None, None, "organizer")
    for _ in range(access.MAX_FAILURES):
        assert not access.check_passphrase(event.dir, "organizer", "wrong", attacker)
    with pytest.raises(TooManyAttempts):
        access.check_passphrase(event.dir, "organizer", RIGHT, attacker)
    assert access.check_passphrase(event.dir, "organizer", RIGHT, organizer)
    # Join codes: five wrong codes from one phone do not lock out every participant.
    for _ in range(access.MAX_FAILURES):
        assert not access.check_event_code(event.dir, event.config.code, "WRONG", attacker)
    assert access.check_event_code(event.dir, event.config.code, "join-7q4k-2026", organizer)


def test_a_role_under_attack_slows_down_but_never_locks(event, monkeypatch):
    monkeypatch.setattr(access, "SLOWDOWN_AFTER", 6)
    monkeypatch.setattr(access, "SLOWDOWN_SECONDS", 0.3)
    for n in range(6):  # from six different addresses: no per-client lock
        assert not access.check_passphrase(event.dir, "organizer", "wrong", f"203.0.113.{n}")
    started = time.monotonic()
    assert not access.check_passphrase(event.dir, "organizer", "wrong", "203.0.113.99")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert access.check_passphrase(event.dir, "organizer", RIGHT, "192.0.2.1")  # slowed, not refused
    assert time.monotonic() - started >= 0.3
    # Other roles are not slowed by the organizer's attackers.
    started = time.monotonic()
    assert access.check_event_code(event.dir, event.config.code, "JOIN-7Q4K-2026", "192.0.2.1")
    assert time.monotonic() - started < 0.3


def test_counters_expire_and_stay_bounded(event, monkeypatch):
    for n in range(50):
        access.check_event_code(event.dir, event.config.code, "WRONG", f"10.1.{n // 250}.{n % 250}")
    assert access.stored_attempt_buckets(event.dir) == 50
    later = time.time() + access.EXPIRE_SECONDS + 3600
    monkeypatch.setattr(access.time, "time", lambda: later)
    access.check_event_code(event.dir, event.config.code, "WRONG", "10.9.9.9")
    assert access.stored_attempt_buckets(event.dir) == 1  # the stale 50 are gone
    monkeypatch.setattr(access, "MAX_BUCKETS", 20)
    monkeypatch.setattr(access, "PRUNE_EVERY", 0.0)  # (pruning runs at most once a minute)
    for n in range(40):
        access.check_event_code(event.dir, event.config.code, "WRONG", f"10.2.0.{n}")
    assert access.stored_attempt_buckets(event.dir) <= 20
    # The counters are not in access.json (read on every join): that file holds the hashes only.
    state = list((event.dir.parent / "home").rglob("access.json"))[0]
    assert set(__import__("json").loads(state.read_text())) == {"hashes"}
    assert state.stat().st_size < 1000


# --------------------------------------------------------------------------------------------
# through the real server (Chromium), as `wikitown serve` starts it


def _serve_env(proxies: str) -> dict[str, str]:
    from wikitown.finds.serve import serve_env

    env = serve_env(None, [p for p in proxies.split(",") if p])
    return {k: env[k] for k in ("FORWARDED_ALLOW_IPS", access.TRUSTED_PROXIES_ENV)}


def _sign_in(phone_context, server, phrase: str, forwarded: str | None = None, page=None):
    from tests.harness.app import goto_app, wait_for_app

    if page is None:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        page = phone_context(extra_http_headers=headers).new_page()
        goto_app(page, f"{server}/organizer?event=town&lang=en")
    page.get_by_text("Sign in as organizer").wait_for()
    page.get_by_label("Passphrase").fill(phrase)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    return page


def _expect(page, wanted: str, timeout: float = 20.0) -> str:
    """The page's sign-in state once it is ``wanted`` (or whatever it is after ``timeout``):
    a rerun may still be on its way right after the click."""
    deadline = time.monotonic() + timeout
    while True:
        state = _state(page)
        if state == wanted or time.monotonic() > deadline:
            return state
        page.wait_for_timeout(200)


def _state(page) -> str:
    if page.get_by_text("Too many wrong attempts").count():
        return "locked"
    if page.get_by_text("That passphrase is not right.").count():
        return "wrong"
    if page.get_by_text("Sign in as organizer").count():
        return "form"
    return "in"


@pytest.fixture
def town(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("WIKITOWN_HOME", str(home))
    events = tmp_path / "events"
    ev = create_event(events / "town", name="town", lat=34.86, lon=138.32, radius_km=3, code="JOIN-7Q4K-2026")
    access.set_passphrase(ev.dir, "organizer", RIGHT)
    ev.close()
    return events, home


def _failures_counted(home) -> int:
    import sqlite3

    found = list(home.rglob("attempts.sqlite"))
    if not found:
        return 0
    with sqlite3.connect(found[0]) as conn:
        return conn.execute("SELECT coalesce(sum(count), 0) FROM failures").fetchone()[0]


def _guess_again(phone_context, server, home, phrase, page):
    """A wrong guess on a page that already shows "not right": done once the server counted it
    (the text on the page is the same before and after)."""
    before = _failures_counted(home)
    page = _sign_in(phone_context, server, phrase, page=page)
    deadline = time.monotonic() + 20
    while _failures_counted(home) == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert _failures_counted(home) > before
    return page


@pytest.mark.browser
def test_real_server_without_forwarding_headers_never_locks_out_the_organizer(start_app, phone_context, town):
    events, home = town
    server = start_app(events, home=home, env=_serve_env(""))
    attacker = None
    for n in range(access.MAX_FAILURES):
        attacker = _guess_again(phone_context, server, home, f"wrong-{n}", attacker)
        assert _expect(attacker, "wrong") == "wrong"
    _sign_in(phone_context, server, RIGHT, page=attacker)
    assert _expect(attacker, "locked") == "locked"  # this visitor waits
    organizer = _sign_in(phone_context, server, RIGHT)  # the organizer, through the same loopback
    assert _expect(organizer, "in") == "in"
    # A made-up X-Forwarded-For is not believed: the attacker gains nothing by sending one.
    spoof = _sign_in(phone_context, server, "wrong", forwarded="203.0.113.77")
    assert _expect(spoof, "wrong") == "wrong"
    for n in range(access.MAX_FAILURES - 1):
        spoof = _guess_again(phone_context, server, home, f"wrong-{n}", spoof)
    _sign_in(phone_context, server, RIGHT, page=spoof)
    assert _expect(spoof, "locked") == "locked"


@pytest.mark.browser
def test_real_server_behind_a_trusted_proxy_counts_each_client(start_app, phone_context, town):
    events, home = town
    server = start_app(events, home=home, env=_serve_env("127.0.0.1"))  # serve --trusted-proxy 127.0.0.1
    for n in range(access.MAX_FAILURES):  # a new session for every guess, from one address
        assert _expect(_sign_in(phone_context, server, f"wrong-{n}", forwarded="203.0.113.5"), "wrong") == "wrong"
    assert _expect(_sign_in(phone_context, server, RIGHT, forwarded="203.0.113.5"), "locked") == "locked"
    assert _expect(_sign_in(phone_context, server, RIGHT, forwarded="198.51.100.7"), "in") == "in"


def test_loopback_callers_without_a_session_are_slowed_not_locked(event, monkeypatch):
    """The phone API behind a header-less proxy sees every phone as 127.0.0.1."""
    monkeypatch.setattr(access, "SLOWDOWN_AFTER", 1000)
    for _ in range(access.MAX_FAILURES + 2):
        assert not access.check_event_code(event.dir, event.config.code, "WRONG", "127.0.0.1")
    assert access.check_event_code(event.dir, event.config.code, "JOIN-7Q4K-2026", "127.0.0.1")
    assert access.client_key(None, None, "") == ""
