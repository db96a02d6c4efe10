"""An organizer creates a new event from the app; bad input is named, nothing half-made."""


import pytest

from tests.harness.apptest import md_shown, signed_in
from wikitown.finds import access
from wikitown.core.config import load_config



@pytest.fixture
def events(demo_env):
    return demo_env.parent


def _organizer():
    return signed_in("organizer", "ja", timeout=60, view="event")


def _fill(at, **values):
    labels = {"name": "イベント名", "slug": "フォルダー名", "center": "中心の緯度,経度",
              "org": "主催者のパスフレーズ", "lib": "司書のパスフレーズ", "muni": "市区町村名"}
    for key, value in values.items():
        next(w for w in at.text_input if w.label == labels[key]).input(value)
    next(b for b in at.button if b.label == "作成する").click()
    return at.run()


def test_create_event_in_the_app(events):
    at = _fill(_organizer(), name="高松ウィキペディアタウン", slug="takamatsu-2026", center="34.34,134.04",
               muni="高松市", org="organizer secret 1", lib="librarian secret 1")
    assert not at.exception
    cfg = load_config(events / "takamatsu-2026")
    assert cfg.name == "高松ウィキペディアタウン" and cfg.area.municipality == "高松市" and cfg.wiki == "ja"
    assert any("高松ウィキペディアタウン" in h.value for h in at.header)  # now working in the new event
    assert any(cfg.code in s.value for s in at.success)
    assert access.check_passphrase(events / "takamatsu-2026", "librarian", "librarian secret 1")
    assert "secret" not in (events / "takamatsu-2026" / "event.toml").read_text()


@pytest.mark.parametrize("slug,center,message", [
    ("../escape", "34.34,134.04", "フォルダー名「../escape」は使えません"),
    ("ok-slug", "north", "緯度と経度"),
])
def test_bad_input_is_named_and_nothing_is_made(events, slug, center, message):
    at = _fill(_organizer(), name="x", slug=slug, center=center, org="organizer secret 1", lib="librarian secret 1")
    assert any(message in md_shown(e.value) for e in at.error)
    assert sorted(p.name for p in events.iterdir()) == ["demo-yaizu"]


def test_short_passphrase_refused(events):
    at = _fill(_organizer(), name="x", slug="short-pw", center="34.34,134.04", org="short", lib="librarian secret 1")
    assert any("8 文字以上" in e.value for e in at.error)
    assert not (events / "short-pw").exists()
