"""The organizer's Publish tab (streamlit AppTest) against the loopback MediaWiki."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.harness.apptest import md_shown, open_view
from tests.publish_data import EventBuilder
from wikitown.finds import access
from wikitown.core.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
PASSPHRASE = "organizer-passphrase-123"


def _texts(at):
    """What the page shows: Markdown elements as read (parameters are escaped), text and code as they are."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "text",
                 "success", "code"):
        shown = (lambda v: v) if kind in ("text", "code") else md_shown
        out += [shown(str(e.value)) for e in getattr(at, kind)]
    return "\n".join(out)


def _widget(items, label):
    return next(w for w in items if w.label == label)


@pytest.fixture
def event_env(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(tmp_path / "events"))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    b = EventBuilder(tmp_path / "events")
    access.set_passphrase(b.event.dir, "organizer", PASSPHRASE)
    return b


def _organizer(lang="ja"):
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("wikitown/app/views/organizer.py").run()
    at.text_input[0].input(PASSPHRASE)
    at.button[0].click()
    at.run()
    assert not at.exception
    return open_view(at, "publish")


def test_publish_tab_plan_apply_and_journal(event_env, mediawiki, pywikibot_dir):
    b = event_env
    site = b.site(f"常楽寺 {b.tag}", wikidata_id="Q4242")
    b.photo(site, b.participant("写真家"))
    b.draft(site, f"常楽寺 {b.tag}", "下書きの本文")
    at = _organizer("ja")
    assert "公開" in _texts(at) and "まだ何も公開していません。" in _texts(at)
    secret_box = _widget(at.text_input, "BotPassword（このセッションの間だけ保持し、保存しません）")
    assert secret_box.proto.type == secret_box.proto.PASSWORD  # never shown on screen
    _widget(at.text_input, "写真の送り先").input(mediawiki.api_url)
    _widget(at.text_input, "下書きの送り先").input(mediawiki.api_url)
    _widget(at.text_input, "BotPassword のログイン名（利用者名@アプリ名）").input(
        f"{mediawiki.bot_user}@{mediawiki.bot_app}")
    secret_box.input(mediawiki.bot_secret)
    _widget(at.button, "計画を作る").click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    name = f"常楽寺 {b.tag} (焼津市) 2026-11-28 01.jpg"
    assert "アップロード: 1 ・ リンク: 0 ・ ページ編集: 1" in text
    assert "{{Information" in text and "下書きの本文" in text  # the full texts are shown
    assert not mediawiki.page_exists(f"File:{name}")
    _widget(at.button, "公開する").click()
    at.run()
    assert not at.exception, at.exception
    assert "完了: 2、失敗: 0" in _texts(at), [(r["target"], r["error"]) for r in __import__("wikitown.publish.apply", fromlist=["x"]).journal(b.store)]
    assert mediawiki.page_exists(f"File:{name}") and mediawiki.page_text(f"Draft:常楽寺 {b.tag}") == "下書きの本文"
    journal = at.dataframe[-2].value if len(at.dataframe) > 1 else at.dataframe[-1].value
    assert set(journal["状態"]) == {"完了"}
    assert f'Q4242\tP18\t"{name}"' in _texts(at)
    # The publish is over: the BotPassword is gone from the session.
    assert _widget(at.text_input, "BotPassword（このセッションの間だけ保持し、保存しません）").value == ""
    for path in b.event.dir.rglob("*"):
        if path.is_file():
            assert mediawiki.bot_secret.encode() not in path.read_bytes(), path


def test_publish_tab_shows_a_clear_error_when_no_wiki_is_reachable(event_env, monkeypatch):
    b = event_env
    b.photo(b.site("寺"), b.participant())
    at = _organizer("en")
    _widget(at.text_input, "Where photos go").input("http://127.0.0.1:9/api.php")
    _widget(at.text_input, "Where drafts go").input("http://127.0.0.1:9/api.php")
    _widget(at.button, "Build the plan").click()
    at.run()
    assert not at.exception
    assert "Could not reach http://127.0.0.1:9/api.php (connection refused)" in \
        md_shown("\n".join(str(e.value) for e in at.error))  # parameters are escaped for Markdown


def test_publish_tab_held_photos_categories_and_permission(event_env, mediawiki, pywikibot_dir):
    """The organizer sees why a photo waits and releases it; drops a category the wiki lacks;
    gets the photographer's declaration for VRT; the plan needs no password at all."""
    from tests.publish_data import jpeg

    b = event_env
    site = b.site(f"確認寺 {b.tag}", commons_category=f"No such category {b.tag}")
    person = b.participant("写真家")
    far = b.photo(site, person, jpeg(gps=(40.4168, -3.7038)), lat=40.4168, lon=-3.7038)
    at = _organizer("ja")
    _widget(at.text_input, "写真の送り先").input(mediawiki.api_url)
    _widget(at.text_input, "下書きの送り先").input(mediawiki.api_url)
    _widget(at.button, "計画を作る").click()  # no BotPassword typed: reading needs none
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert "確認待ちの写真" in text and "km 離れています（上限 1 km）" in text
    assert f"[ない] No such category {b.tag}" in text and "Special:BotPasswords" in text
    assert "アップロード: 0 ・ リンク: 0 ・ ページ編集: 0 ・ 完了済み: 0 ・ 保留: 0 ・ 確認待ち: 1" in text
    assert "写真家 さん（" not in text  # a held photo is in no declaration yet
    _widget(at.button, "確認して公開を認める").click()
    at.run()
    _widget(at.button, "計画を作る").click()
    at.run()
    text = _texts(at)
    assert "アップロード: 1" in text and "確認待ちでしたが" in text
    assert "写真家 さん（1 枚）" in text and len(at.get("download_button")) >= 2
    at.selectbox(key=f"publish_cat_name_{b.event.slug}").select(f"No such category {b.tag}")
    _widget(at.button, "使わない").click()
    at.run()
    _widget(at.button, "計画を作る").click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert f"[削除] No such category {b.tag}" in text
    plan_text = "\n".join(str(c.value) for c in at.code)
    assert "{{Permission pending}}" in plan_text and f"No such category {b.tag}" not in plan_text
    assert far in str(b.store.get_kv("publish.released"))


def test_publish_tab_photographer_signs_in_for_their_own_upload(event_env, mediawiki, pywikibot_dir):
    """At the organizer's PC, a participant types their own login for their photos: those go up
    under their account with {{self}}; the organizer's BotPassword uploads the rest; both are
    forgotten when the publish ends."""
    from tests.harness.mediawiki import random_password

    b = event_env
    user, password = f"Walker{b.tag}", random_password()
    mediawiki.maintenance("createAndPromote.php", user, password)
    site = b.site(f"本人寺 {b.tag}")
    b.photo(site, b.participant("歩く人", wiki_user=user))
    b.photo(site, b.participant("別の人"), taken="2026-11-28T12:00:00")
    at = _organizer("ja")
    _widget(at.text_input, "写真の送り先").input(mediawiki.api_url)
    _widget(at.text_input, "下書きの送り先").input(mediawiki.api_url)
    _widget(at.text_input, "BotPassword のログイン名（利用者名@アプリ名）").input(
        f"{mediawiki.bot_user}@{mediawiki.bot_app}")
    _widget(at.text_input, "BotPassword（このセッションの間だけ保持し、保存しません）").input(mediawiki.bot_secret)
    _widget(at.text_input, "撮影者の利用者名（BotPassword なら 利用者名@名前）").input(user)
    own_box = _widget(at.text_input, "撮影者のパスワード（保存しません）")
    assert own_box.proto.type == own_box.proto.PASSWORD
    own_box.input(password)
    _widget(at.button, "この撮影者の写真は本人のアカウントで").click()
    at.run()
    _widget(at.button, "計画を作る").click()
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert f"撮影者 歩く人 さん本人のアカウント（{user}）でアップロード" in text
    assert f"撮影者 別の人 さんの写真を {mediawiki.bot_user} のアカウントでアップロード" in text
    _widget(at.button, "公開する").click()
    at.run()
    assert not at.exception, at.exception
    assert "完了: 2、失敗: 0" in _texts(at)
    names = {f"File:本人寺 {b.tag} (焼津市) 2026-11-28 0{i}.jpg" for i in (1, 2)}
    uploaders = {}
    for name in names:
        info = mediawiki.page_info(name)
        uploaders[info["revisions"][0]["user"]] = info["revisions"][0]["slots"]["main"]["content"]
    assert set(uploaders) == {user, mediawiki.bot_user}
    assert "{{self|cc-by-sa-4.0}}" in uploaders[user] and "{{Permission pending}}" not in uploaders[user]
    assert "{{self" not in uploaders[mediawiki.bot_user] and "{{Permission pending}}" in uploaders[mediawiki.bot_user]
    assert _widget(at.text_input, "撮影者のパスワード（保存しません）").value == ""
    assert _widget(at.text_input, "BotPassword（このセッションの間だけ保持し、保存しません）").value == ""
    assert f"{user} さんの写真は" not in _texts(at)  # the photographer's login is gone too
