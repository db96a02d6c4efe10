"""Each page renders in streamlit's AppTest, in Japanese and English, with access enforced."""


import pytest
from streamlit.testing.v1 import AppTest

from tests.harness.apptest import md_shown, texts

from wikitown.finds.access import DEMO_PASSPHRASES
from wikitown.core.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def _sign_in(at, phrase):
    at.text_input[0].input(phrase)
    at.button[0].click()
    return at.run()


def test_home_page_in_japanese_by_default(demo_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = texts(at)
    assert "焼津ウィキペディアタウン（デモ）" in text
    # 156 + 4 rows; two walk spots are in the map file too and are merged (issue #3)
    assert "文化財・スポット：158 件" in text
    assert "CC BY 4.0" in md_shown(text)  # the demo data's attribution is shown (escaped for Markdown)


def test_language_switch_to_english(demo_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.session_state["lang"] = "en"
    at.run()
    assert "Heritage sites and spots: 158" in texts(at)


@pytest.mark.parametrize("lang,title", [("ja", "文化財・スポット"), ("en", "Heritage sites and spots")])
def test_organizer_sees_demo_sites_map_and_table(demo_env, lang, title):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("wikitown/app/views/organizer.py").run()
    assert not at.dataframe  # nothing before signing in
    at = _sign_in(at, DEMO_PASSPHRASES["organizer"])
    assert not at.exception
    assert title in texts(at)
    frame = at.dataframe[0].value
    assert len(frame) == 158  # two sites merged from both demo files
    status_col = "記事" if lang == "ja" else "Article"
    # Nothing was checked against a wiki, so nothing may claim a result.
    assert set(frame[status_col]) == {"未確認" if lang == "ja" else "not checked"}
    assert at.get("deck_gl_json_chart")  # the map


def test_wrong_passphrase_is_refused(demo_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("wikitown/app/views/organizer.py").run()
    at = _sign_in(at, "not the passphrase")
    assert "パスフレーズが違います" in texts(at)
    assert not at.dataframe


def test_participant_cannot_reach_organizer_or_librarian(demo_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("wikitown/app/views/participant.py").run()
    at.text_input[0].input("YAIZU-DEMO")
    at.button[0].click()
    at.run()
    assert not at.exception
    assert "参加コード" not in texts(at)  # joined: the join form is gone
    for page, heading in (("wikitown/app/views/organizer.py", "主催者としてログイン"), ("wikitown/app/views/librarian.py", "司書としてログイン")):
        at.switch_page(page).run()
        assert heading in texts(at)
        assert not at.dataframe


def test_librarian_page_renders_after_sign_in(demo_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("wikitown/app/views/librarian.py").run()
    at = _sign_in(at, DEMO_PASSPHRASES["librarian"])
    assert not at.exception
    assert "司書としてログイン" not in texts(at)
