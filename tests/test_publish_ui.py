"""The organizer's Publish tab (streamlit AppTest) against the loopback MediaWiki."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.harness.apptest import open_view
from tests.publish_data import EventBuilder
from wikitown.finds import access
from wikitown.core.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
PASSPHRASE = "organizer-passphrase-123"


def _texts(at):
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "text",
                 "success", "code"):
        out += [str(e.value) for e in getattr(at, kind)]
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
        "\n".join(str(e.value) for e in at.error)
