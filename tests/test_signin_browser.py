"""Sign-in that survives a reload (organizers and librarians): an HttpOnly, signed, expiring cookie
set by a route of the app's own server, read by the Streamlit pages; and sign-out. Chromium against
the real app (`streamlit run app.py`)."""

import time

from tests.harness.app import goto_app, wait_for_app
from tests.harness.phones import DEMO, copy_demo_event
from wikitown.finds.access import DEMO_PASSPHRASES

SIGNED_OUT = "Sign in as organizer"


def test_signin_cookie_survives_a_reload_and_sign_out_ends_it(tmp_path, start_app, phone_context):
    events = tmp_path / "events"
    events.mkdir()
    copy_demo_event(events)
    app = start_app(events)
    context = phone_context(bypass_csp=True)
    page = context.new_page()
    goto_app(page, f"{app}/organizer?event={DEMO}&lang=en")
    page.get_by_text(SIGNED_OUT).wait_for()
    with context.expect_page() as opened:  # Streamlit's link buttons open a new tab
        page.get_by_text("Stay signed in").click()
    page = opened.value
    page.locator("#passphrase").wait_for()
    assert page.url.startswith(f"{app}/auth/signin?event={DEMO}&role=organizer")

    page.fill("#passphrase", "not the passphrase")
    page.click("#signin")
    page.get_by_text("That passphrase is not right.").wait_for()
    assert not [c for c in context.cookies() if c["name"].startswith("wikitown_")]

    page.fill("#passphrase", DEMO_PASSPHRASES["organizer"])
    page.click("#signin")
    page.wait_for_url(f"{app}/organizer?*")
    wait_for_app(page)
    page.get_by_text("Sign out").wait_for()
    assert page.get_by_text(SIGNED_OUT).count() == 0
    cookie = next(c for c in context.cookies() if c["name"] == f"wikitown_{DEMO}")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert time.time() + 11 * 3600 < cookie["expires"] <= time.time() + 12 * 3600 + 60
    assert "wikitown_" not in page.evaluate("document.cookie")  # page scripts cannot read it

    page.reload()
    wait_for_app(page)
    page.get_by_text("Sign out").wait_for()
    assert page.get_by_text(SIGNED_OUT).count() == 0

    # an altered cookie grants nothing
    other = phone_context(bypass_csp=True)
    forged = dict(cookie, value=cookie["value"].replace("v1.", "v1.x", 1))
    other.add_cookies([{k: forged[k] for k in ("name", "value", "domain", "path", "httpOnly", "sameSite",
                                               "expires")}])
    forged_page = other.new_page()
    goto_app(forged_page, f"{app}/organizer?event={DEMO}&lang=en")
    forged_page.get_by_text(SIGNED_OUT).wait_for()

    with context.expect_page() as opened:
        page.get_by_text("Sign out").click()
    page = opened.value
    page.wait_for_url(f"{app}/home?*")
    assert not [c for c in context.cookies() if c["name"].startswith("wikitown_")]
    goto_app(page, f"{app}/organizer?event={DEMO}&lang=en")
    page.get_by_text(SIGNED_OUT).wait_for()
