"""``python -m wikitown draft DIR SITE --submit|--approve|--request-changes --as NAME [--reason]``:
the review gate from the command line, with the event's own rules."""
from __future__ import annotations

import pytest

from wikitown.cli import main
from wikitown.core.config import save_config
from wikitown.drafts import edits, review
from wikitown.store.events import create_event, open_event
from wikitown.store.sites import upsert_sites


@pytest.fixture
def event(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WIKITOWN_LANG", "ja")
    ev = create_event(tmp_path / "ev", name="テスト", lat=34.86, lon=138.32, radius_km=5, municipality="焼津市",
                      municipality_code="222127", code="TEST-1")
    upsert_sites(ev.store, [{"id": "s1", "name": "常楽寺", "name_kana": "ジョウラクジ", "lat": 34.8647761,
                             "lon": 138.3246443, "address": "焼津市北浜通95-2"},
                            {"id": "s2", "name": "本堂", "article_status": "ambiguous", "article_title": "本堂"}])
    return ev


def draft_cli(ev, *args):
    return main(["draft", str(ev.dir), *args, "--offline"])


def test_submit_approve_gate_and_override(event, capsys):
    assert draft_cli(event, "s1", "--submit", "--as", "Aki", "--role", "participant") == 0
    d = review.draft_for_site(event.store, "s1")
    assert d.state == "in_review"
    capsys.readouterr()
    assert draft_cli(event, "s1", "--approve", "--as", "aki") == 1  # the submitter, typed in lower case
    assert "承認できません" in capsys.readouterr().err
    # The generated draft still has sections to write: refused without a reason, approved with one.
    assert draft_cli(event, "s1", "--approve", "--as", "Lib", "--role", "librarian") == 1
    err = capsys.readouterr().err
    assert "書きかけ" in err and "指摘" in err
    assert review.get_draft(event.store, d.id).state == "in_review"
    assert draft_cli(event, "s1", "--approve", "--as", "Lib", "--role", "librarian",
                     "--reason", "歴史の節は公開後に書く") == 0
    assert review.get_draft(event.store, d.id).state == "approved"
    override = [r for r in review.review_log(event.store, d.id) if r["action"] == "override"]
    assert override and override[0]["comment"].startswith("歴史の節は公開後に書く")
    assert draft_cli(event, "s1", "--request-changes", "--as", "Lib", "--role", "librarian",
                     "--reason", "出典を足してください") == 0
    assert review.review_log(event.store, d.id)[-1]["comment"] == "出典を足してください"
    assert draft_cli(event, "s1", "--submit") == 1  # who does it is always named
    assert "--as" in capsys.readouterr().err


def test_two_approvals_from_event_toml(event, capsys):
    cfg = event.config
    cfg.approvals_required = 2
    save_config(event.dir, cfg)
    ev = open_event(event.dir)
    assert ev.config.approvals_required == 2 and "approvals = 2" in (event.dir / "event.toml").read_text()
    assert draft_cli(ev, "s1", "--submit", "--as", "Aki", "--role", "participant") == 0
    assert draft_cli(ev, "s1", "--approve", "--as", "Lib", "--reason", "ok") == 0
    d = review.draft_for_site(ev.store, "s1")
    assert d.state == "in_review" and "1/2" in capsys.readouterr().err
    assert draft_cli(ev, "s1", "--approve", "--as", "Org", "--reason", "ok") == 0
    assert review.get_draft(ev.store, d.id).state == "approved"


def test_ambiguous_title_is_chosen_first(event, capsys):
    assert draft_cli(event, "s2") == 1
    assert "曖昧" in capsys.readouterr().err and review.draft_for_site(event.store, "s2") is None
    assert draft_cli(event, "s2", "--choose-title", "海蔵寺本堂", "--as", "主催者") == 0
    assert edits.title_choice(event.store, "s2").title == "海蔵寺本堂"
    assert draft_cli(event, "s2") == 0
    assert review.draft_for_site(event.store, "s2").title == "海蔵寺本堂"
    # once a draft exists, the choice is the draft's business
    assert draft_cli(event, "s2", "--choose-title", "別の名前", "--as", "主催者") == 1


@pytest.mark.parametrize("value", ["0", "1.5", '"two"', "9"])
def test_bad_approvals_setting_is_named(value):
    from wikitown.core.config import parse_config
    from wikitown.core.errors import ConfigError
    import tomllib

    raw = tomllib.loads(f'name = "x"\ncode = "TEST-1"\n[area]\nlat = 1\nlon = 1\nradius_km = 1\n'
                        f'[review]\napprovals = {value}\n')
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert "review.approvals" in str(err.value) or "review.approvals" in err.value.message("en")
