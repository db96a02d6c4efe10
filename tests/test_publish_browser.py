"""The Publish tab in the real app (headless Chromium, laptop size) against the loopback MediaWiki."""
from __future__ import annotations

import pytest

from tests.harness.app import goto_app, shot, wait_for_app
from tests.publish_data import EventBuilder
from wikitown.finds import access

pytestmark = pytest.mark.browser

SECRET_LABEL = "BotPassword（このセッションの間だけ保持し、保存しません）"


def test_organizer_publishes_from_the_browser(tmp_path, monkeypatch, start_app, phone_context, mediawiki,
                                              pywikibot_dir):
    events, home = tmp_path / "events", tmp_path / "home"
    monkeypatch.setenv("WIKITOWN_HOME", str(home))  # where the app will look for the passphrase hash
    b = EventBuilder(events)
    access.set_passphrase(b.event.dir, "organizer", "organizer-passphrase-123")
    b.photo(b.site(f"常楽寺 {b.tag}"), b.participant("写真家"))
    for cookies in pywikibot_dir.glob("*.lwp"):  # other tests' logins: this test checks the app leaves none
        cookies.unlink()
    app = start_app(events, env={"PYWIKIBOT_DIR": str(pywikibot_dir)}, home=home)

    page = phone_context(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False,
                         device_scale_factor=1).new_page()
    goto_app(page, f"{app}/organizer")
    page.get_by_label("パスフレーズ").fill("organizer-passphrase-123")
    page.get_by_role("button", name="ログイン").click()
    wait_for_app(page)
    page.get_by_role("tab", name="公開").click()
    wait_for_app(page)  # a tab opens its view on the server
    for label, value in (("写真の送り先", mediawiki.api_url), ("下書きの送り先", mediawiki.api_url),
                         ("BotPassword のログイン名（利用者名@アプリ名）", mediawiki.bot_login_name),
                         (SECRET_LABEL, mediawiki.bot_secret)):
        page.get_by_role("textbox", name=label, exact=True).fill(value)
        page.get_by_role("textbox", name=label, exact=True).press("Enter")
        wait_for_app(page)
    assert page.get_by_role("textbox", name=SECRET_LABEL, exact=True).get_attribute("type") == "password"
    page.get_by_role("button", name="計画を作る").click()
    wait_for_app(page)
    page.get_by_text("アップロード: 1 ・ リンク: 0").wait_for()
    shot(page, "publish-plan-ja", tall=True)
    page.get_by_role("button", name="公開する").click()
    wait_for_app(page, timeout=60_000)
    page.get_by_text("完了: 1、失敗: 0").wait_for()
    shot(page, "publish-done-ja", tall=True)
    assert mediawiki.page_exists(f"File:常楽寺 {b.tag} (焼津市) 2026-11-28 01.jpg")
    # The publish is over: no wiki session left on disk, the password gone from the page.
    assert not list(pywikibot_dir.glob("*.lwp")), list(pywikibot_dir.glob("*.lwp"))
    assert page.get_by_role("textbox", name=SECRET_LABEL, exact=True).input_value() == ""
    assert mediawiki.bot_secret not in app.log()
    for path in b.event.dir.rglob("*"):
        if path.is_file():
            assert mediawiki.bot_secret.encode() not in path.read_bytes(), path
