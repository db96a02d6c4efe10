"""The real app in headless Chromium at phone size, on a copy of the demo event."""

import shutil

import pytest

from tests.harness.app import goto_app, shot, wait_for_app
from wikitown.finds.access import DEMO_PASSPHRASES

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_events(tmp_path, project_root):
    events = tmp_path / "events"
    shutil.copytree(project_root / "events" / "demo-yaizu", events / "demo-yaizu",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    return events


def test_phone_participant_and_organizer_pages(start_app, phone_page, demo_events):
    url = start_app(demo_events)
    page = phone_page
    goto_app(page, f"{url}/participant")
    page.get_by_text("イベントに参加する").wait_for()
    shot(page, "app-participant-join-ja")

    goto_app(page, f"{url}/organizer")
    page.get_by_text("主催者としてログイン").wait_for()
    page.get_by_label("パスフレーズ").fill(DEMO_PASSPHRASES["organizer"])
    page.get_by_role("button", name="ログイン").click()
    wait_for_app(page)
    page.get_by_text("文化財・スポット").first.wait_for()
    # The map is drawn by deck.gl, bundled with Streamlit: it renders with no network.
    page.locator("[data-testid='stDeckGlJsonChart']").first.wait_for(timeout=30_000)
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    shot(page, "app-organizer-sites-ja", tall=True)

    # The language switch is on every page; English keeps the signed-in session.
    page.locator("[data-testid='stButtonGroup'] button", has_text="English").click()
    wait_for_app(page)
    page.get_by_text("Heritage sites and spots").first.wait_for()
    shot(page, "app-organizer-sites-en", tall=True)
