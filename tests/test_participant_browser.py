"""A phone in headless Chromium: join through the QR link, consent, upload a photo with no
GPS and see it matched by the browser's (emulated) position."""

import shutil

import pytest

from tests.harness.app import goto_app, shot, wait_for_app
from tests.harness.requirements import shared_data
from wikitown.store.events import open_event
from wikitown.finds.capture import list_finds
from wikitown.core.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

# 護信寺・弁天宮(光心寺跡), a spot from Yaizu's 2025 walking event (34.8647761, 138.3246443)
GOSHINJI = (34.8647800, 138.3246400)


def test_phone_upload_without_gps_is_matched_by_browser_location(start_app, phone_context, tmp_path):
    photo = shared_data("photos", "yaizu", "12-a_hoshakuji_jizo_noexif.png")
    events = tmp_path / "events"
    shutil.copytree(PROJECT_ROOT / "events" / "demo-yaizu", events / "demo-yaizu",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    url = start_app(events)
    page = phone_context(geolocation=GOSHINJI).new_page()
    goto_app(page, f"{url}/participant?event=demo-yaizu&code=YAIZU-DEMO&lang=en")
    # The QR link's code joined us: the consent form is first.
    page.get_by_text("Before you start").wait_for()
    shot(page, "participant-consent", tall=True)
    page.get_by_role("textbox", name="Name to be credited by").fill("Phone Tester")
    page.get_by_text("I took these photos myself").click()
    page.get_by_role("button", name="Start").click()
    wait_for_app(page)
    page.get_by_text("Sending as Phone Tester (CC BY-SA 4.0)").wait_for()

    # The browser's position arrives through the geolocation component.
    page.get_by_text("Location: from your phone").wait_for(timeout=30_000)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(photo))
    wait_for_app(page)
    page.get_by_text("Nearest site").wait_for()
    page.get_by_text("護信寺・弁天宮(光心寺跡)").first.wait_for()
    page.get_by_role("textbox", name="Note").fill("お地蔵さま <b>not bold</b>")
    shot(page, "participant-before-send", tall=True)
    page.get_by_role("button", name="Send", exact=True).click()
    wait_for_app(page)
    page.get_by_text("12-a_hoshakuji_jizo_noexif.png: received.").wait_for()
    page.get_by_text("Saved. Thank you!").wait_for()
    page.get_by_role("tab", name="My finds").click()
    page.get_by_test_id("stText").filter(has_text="お地蔵さま <b>not bold</b>").wait_for()  # shown as text
    assert page.locator("b", has_text="not bold").count() == 0  # never as markup
    shot(page, "participant-my-finds", tall=True)

    event = open_event(events / "demo-yaizu")
    rows = list_finds(event)
    assert len(rows) == 1
    find = rows[0]
    assert find["location_source"] == "browser"
    assert find["lat"] == pytest.approx(GOSHINJI[0], abs=1e-4) and find["lon"] == pytest.approx(GOSHINJI[1], abs=1e-4)
    assert find["site_name"] == "護信寺・弁天宮(光心寺跡)" and find["match_status"] == "matched"
    assert find["credit"] == "Phone Tester" and find["licence"] == "cc-by-sa-4.0"
    assert find["media"][0]["format"] == "png" and find["media"][0]["lat"] is None
    event.close()
