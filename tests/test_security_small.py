"""The smaller holes of issue 13, point 9: a capture sent twice, a site named __NOINDEX__, files
others could read, a named pipe in an import, a team number that is not a number, a join code
anyone could guess."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import mwparserfromhell
import pytest

from tests.harness import PROJECT_ROOT
from tests.harness.requirements import need
from tests.photo_samples import jpeg
from wikitown.core.errors import InputError
from wikitown.finds.capture import join_event, list_finds, submit_find
from wikitown.finds.importer import import_photos
from wikitown.store.events import check_join_code, create_event


# `town`: the small event fixture in tests/conftest.py


# --- a capture sent again ------------------------------------------------------------------


def test_the_same_capture_id_is_one_find_and_answers_the_first_result(town):
    aki = join_event(town, "Aki", "cc-by-sa-4.0")
    ben = join_event(town, "Ben", "cc-by-sa-4.0")
    first = submit_find(town, aki, [], note="説明板あり", site_id="s1", client_id="c0ffee-0001")
    again = submit_find(town, aki, [], note="説明板あり", site_id="s1", client_id="c0ffee-0001")  # after a crash
    assert first.created and not again.created and again.find_id == first.find_id
    assert again.site_id == first.site_id and again.match_status == first.match_status
    # The same id from someone else is their own capture: ids are the phone's, not global.
    other = submit_find(town, ben, [], note="説明板あり", site_id="s1", client_id="c0ffee-0001")
    assert other.created and other.find_id != first.find_id
    assert len(list_finds(town)) == 2
    with pytest.raises(InputError):
        submit_find(town, aki, [], note="x", client_id="../../etc")


def test_the_participant_page_resent_from_a_new_session_is_one_find(town):
    need("streamlit")
    from streamlit.testing.v1 import AppTest

    pid = join_event(town, "Aki", "cc-by-sa-4.0")

    def send():
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        at.session_state["lang"] = "en"
        at.query_params.update({"event": "town", "code": "CODE-7Q4K-2026", "p": pid})
        at.run()
        at.switch_page("wikitown/app/views/participant.py").run()
        next(a for a in at.text_area if a.label.startswith("Note")).input("The sign board is broken")
        next(b for b in at.button if b.label == "Send").click()
        at.run()
        assert not at.exception

    send()
    send()  # the phone crashed after sending; the participant sends the same note again
    assert [f["note"] for f in list_finds(town)] == ["The sign board is broken"]


# --- __NOINDEX__ in the wikitext export ----------------------------------------------------------


def test_wikitext_export_switches_nothing_on(mediawiki):
    import pandas as pd

    from wikitown.gaps.exports import to_wikitext

    frame = pd.DataFrame([{"name": "__NOINDEX__", "article_status": "missing", "article_title": "",
                           "designation": "", "category": ""},
                          {"name": "__NOTOC__ 寺", "article_status": "missing", "article_title": "",
                           "designation": "", "category": ""},
                          {"name": "A", "article_status": "missing", "article_title": "__HIDDENCAT__",
                           "designation": "", "category": ""}])
    text = to_wikitext(frame, lang="en").decode("utf-8")
    assert "__" not in text
    parsed = mediawiki.api({"action": "parse", "text": text, "contentmodel": "wikitext", "prop": "properties|links",
                            "disablelimitreport": 1, "format": "json", "formatversion": 2})["parse"]
    assert not parsed["properties"], parsed["properties"]  # no noindex, notoc, hiddencat
    titles = {link["title"] for link in parsed["links"]}
    assert {"NOINDEX", "NOTOC 寺", "HIDDENCAT"} <= titles, titles  # still links to the titles MediaWiki means
    assert len(mwparserfromhell.parse(text).filter_wikilinks()) == 3


# --- files only this user can read -----------------------------------------------------------


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_and_photos_are_private(town, tmp_path):
    old = os.umask(0o022)
    try:
        pid = join_event(town, "Aki", "cc-by-sa-4.0")
        photo = jpeg(seed=3, lat=34.8647761, lon=138.3246443)
        submit_find(town, pid, [("a.jpg", photo)], note="x")
        fresh = create_event(tmp_path / "events" / "other", name="o", lat=34.86, lon=138.32, radius_km=3)
        fresh.close()
    finally:
        os.umask(old)
    assert _mode(town.dir / "store.sqlite") == 0o600
    assert _mode(tmp_path / "events" / "other" / "store.sqlite") == 0o600
    media = town.dir / "media"
    files = [p for p in media.rglob("*") if p.is_file()]
    folders = [media] + [p for p in media.rglob("*") if p.is_dir()]
    assert len(files) >= 3  # original, publish copy, thumbnail
    assert {_mode(p) for p in files} == {0o600}, {str(p): oct(_mode(p)) for p in files}
    assert {_mode(p) for p in folders} == {0o700}, {str(p): oct(_mode(p)) for p in folders}
    for extra in ("store.sqlite-wal", "store.sqlite-shm"):
        if (town.dir / extra).exists():
            assert _mode(town.dir / extra) == 0o600


def test_an_old_world_readable_store_is_made_private_when_opened(town):
    from wikitown.store.events import open_event

    path = town.dir / "store.sqlite"
    town.close()
    path.chmod(0o644)
    again = open_event(town.dir)
    again.store  # noqa: B018 - opening is what tightens it
    assert _mode(path) == 0o600
    again.close()


# --- a named pipe in an import ---------------------------------------------------------------


def test_import_skips_a_named_pipe_with_a_message(town, tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(jpeg(seed=4, lat=34.8647761, lon=138.3246443))
    os.mkfifo(folder / "b.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")
    done = {}
    worker = threading.Thread(target=lambda: done.setdefault(
        "summary", import_photos(town, [folder, tmp_path / "pipe.jpg"], credit="Aki")), daemon=True)
    worker.start()
    worker.join(60)
    if worker.is_alive():
        for pipe in (folder / "b.jpg", tmp_path / "pipe.jpg"):  # let the stuck reader go
            with open(pipe, "wb"):
                pass
        pytest.fail("photos import hangs on a named pipe")
    summary = done["summary"]
    assert summary.statuses["accepted"] == 1 and summary.statuses["rejected"] == 2
    refused = [f for f in summary.files if f.status == "rejected"]
    assert {f.key for f in refused} == {"security.finds.not_regular"}
    assert "named pipe" in refused[0].message("en") and "名前付きパイプ" in refused[0].message("ja")


# --- a team number that is not a number ------------------------------------------------------


@pytest.mark.parametrize("team", [float("nan"), float("inf"), -3, 0, 2.5, 10 ** 6, "x"])
def test_team_numbers_are_checked(town, team):
    with pytest.raises(InputError) as err:
        join_event(town, "Aki", "cc-by-sa-4.0", team=team)
    assert err.value.key == "security.finds.team"


def test_nan_team_from_the_page_is_no_traceback(town):
    need("streamlit")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.query_params.update({"event": "town", "code": "CODE-7Q4K-2026"})
    at.run()
    at.switch_page("wikitown/app/views/participant.py").run()
    at.text_input[0].input("Aki")
    team = at.number_input[0]
    team._value = float("nan")  # what a hand-made websocket message can carry past the widget's limits
    at.checkbox(key="participant_agree").check()
    next(b for b in at.button if b.label == "Start").click()
    at.run()
    assert not at.exception, at.exception
    # The value is dropped (no team), never stored and never a traceback.
    import sqlalchemy as sa

    from wikitown.store.db import participants

    with town.store.read() as conn:
        rows = conn.execute(sa.select(participants.c.display_name, participants.c.team)).all()
    assert [tuple(r) for r in rows] == [("Aki", None)]


# --- join codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["AAAA", "1234", "TEST-1", "222127", "ABABABAB"])
def test_weak_join_codes_are_refused(code):
    with pytest.raises(InputError):
        check_join_code(code)


@pytest.mark.parametrize("code", ["YAIZU-DEMO", "7Q4K-X9PM", "JOIN-7Q4K-2026"])
def test_reasonable_join_codes_pass(code):
    assert check_join_code(code) == code


def test_event_new_refuses_a_guessable_code_and_makes_one_when_none_is_given(tmp_path):
    env = {**os.environ, "WIKITOWN_HOME": str(tmp_path / "home"), "WIKITOWN_LANG": "en"}

    def new(folder, *code):
        return subprocess.run([sys.executable, "-m", "wikitown", "event", "new", str(tmp_path / folder), "--name", "x",
                               "--center", "34.86,138.32", "--radius-km", "2", *code], cwd=PROJECT_ROOT, env=env, capture_output=True,
                              text=True, timeout=60)

    weak = new("weak", "--code", "AAAA")
    assert weak.returncode != 0 and "too easy to guess" in weak.stdout + weak.stderr
    assert "Traceback" not in weak.stderr
    assert not (tmp_path / "weak" / "event.toml").exists()
    made = new("made")
    assert made.returncode == 0, made.stderr
