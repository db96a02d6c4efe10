"""Every page and view of the app in Japanese, as an organizer, a librarian and a participant on the
demo event: no English left in (known leaks: service keys and English reasons, internal ids, the
command line's flags, file names people were told to edit) and no raw ISO timestamps.

The walk presses the buttons a first-time user presses with the network gone (every service points
at a closed port), because that is where English leaked: service errors, the ISBN check, the first
draft's summary in the history. Streamlit's AppTest (no browser)."""

from __future__ import annotations

import re

import pytest

from tests.harness.apptest import open_view, signed_in

# Words that leaked into the Japanese UI (issue 16.4), as regular expressions.
KNOWN_LEAKS = [
    r"no network", r"name lookup", r"connection refused", r"timed out", r"\bnot JSON\b",
    r"ndl_search", r"wiki_api", r"wikidata_sparql", r"wikidata_api", r"commons_api", r"\boverpass\b",
    r"Wikidata Query Service", r"Wikipedia API", r"NDL Search",
    r"check digit", r"--confirm", r"--[a-z]+-?[a-z]*\b", r"edit event\.toml", r"\bslug\b", r"\bsite_id\b",
    r"first draft", r"opendata:", r"\bunchecked\b", r"\bNone\b", r"\bnan\b", r"\bNaN\b",
    r"\bTrue\b", r"\bFalse\b", r"Traceback", r"PYWIKIBOT_DIR", r"user-config", r"answered with an error",
    r"could not be reached", r"\bHTTP\b",
]
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}\.\d+|\+00:00")
TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text",
              "exception")
WIDGET_KINDS = ("button", "checkbox", "toggle", "text_input", "text_area", "number_input", "selectbox", "multiselect",
                "radio", "date_input", "time_input", "slider", "select_slider", "color_picker", "segmented_control",
                "pills")


def shown(at) -> list[str]:
    """Everything a person reads on this run: texts, labels, help, choices, table headers and cells."""
    out = []
    for kind in TEXT_KINDS:
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in WIDGET_KINDS:
        try:
            widgets = getattr(at, kind)
        except (AttributeError, KeyError):
            continue
        for w in widgets:
            out += [str(getattr(w, attr, "") or "") for attr in ("label", "help", "placeholder")]
            options = getattr(w, "options", None)
            if options:
                out += [str(o) for o in options]
    for block in list(at.expander) + list(at.tabs):
        out.append(str(block.label))
    for name in ("download_button",):
        out += [str(e.proto.label) for e in at.get(name)] + [str(e.proto.help) for e in at.get(name)]
    for frame in at.dataframe:
        out += [str(c) for c in frame.value.columns]
        # text cells (a ticked box is True underneath, and drawn as a box)
        out += [v for col in frame.value.columns for v in frame.value[col].tolist() if isinstance(v, str)]
    return [s for s in out if s]


def leaks(at, where: str) -> list[str]:
    found = []
    for text in shown(at):
        for pattern in KNOWN_LEAKS:
            if re.search(pattern, text):
                found.append(f"{where}: {pattern!r} in {text[:160]!r}")
        if ISO_TIME.search(text):
            found.append(f"{where}: ISO time in {text[:160]!r}")
    return list(dict.fromkeys(found))


def click(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


@pytest.fixture
def offline(demo_env, monkeypatch):
    """Every outside service at a closed port: what a venue without Wi-Fi looks like."""
    from wikitown.core.services import SERVICE_NAMES, env_var

    for name in SERVICE_NAMES:
        monkeypatch.setenv(env_var(name), "http://127.0.0.1:9/")
    return demo_env


def test_organizer_views_in_japanese(offline):
    from wikitown.finds.capture import join_event, submit_find
    from wikitown.gaps.collect import load_configured_opendata
    from wikitown.store.events import open_event

    event = open_event(offline)
    load_configured_opendata(event)
    pid = join_event(event, "歩く人", "cc-by-sa-4.0")
    submit_find(event, pid, [], note="ここはどこ", browser_location=(34.80, 138.20, 10))  # far: queued
    event.close()
    at = signed_in("organizer", "ja")
    found = []
    for view in ("sites", "plan", "finds", "checklists", "report", "publish", "event"):
        open_view(at, view)
        assert not at.exception, (view, at.exception)
        found += leaks(at, view)
    # The actions a first-time organizer tries, offline
    open_view(at, "sites")
    click(at, "情報源に問い合わせて記事を確認する")
    assert any("接続" in e.value or "つながって" in e.value for e in at.error), [e.value for e in at.error]
    found += leaks(at, "sites: sources offline")
    open_view(at, "plan")
    at.number_input(key="plan_teams").set_value(2)
    at.number_input(key="plan_minutes").set_value(120)
    next(b for b in at.button if b.label == "計画する").click()
    at.run()
    assert not at.exception
    found += leaks(at, "plan: made")
    open_view(at, "report")
    click(at, "ウィキで確認する")
    found += leaks(at, "report: confirm offline")
    open_view(at, "event")
    for label, value in (("イベント名", "x"), ("フォルダー名", "../bad"), ("中心の緯度,経度", "34.3,134.0"),
                         ("主催者のパスフレーズ", "organizer secret 1"), ("司書のパスフレーズ", "librarian secret 1")):
        next(w for w in at.text_input if w.label == label).input(value)
    click(at, "作成する")
    assert at.error, "a bad folder name is refused"
    found += leaks(at, "event: bad folder name")
    assert not found, "\n".join(found)


def test_librarian_page_in_japanese(offline):
    at = signed_in("librarian", "ja")
    assert not at.exception
    found = leaks(at, "librarian")
    # A book by ISBN with the network gone, then a mistyped ISBN
    next(w for w in at.text_input if w.key == "book_isbn").input("9784000000002")
    next(b for b in at.button if b.key == "book_lookup").click()
    at.run()
    found += leaks(at, "librarian: ISBN lookup offline")
    # The first draft of a site, and its history
    next(b for b in at.button if b.key == "draft_create").click()
    at.run()
    assert not at.exception
    found += leaks(at, "librarian: first draft")
    assert not found, "\n".join(found)


def test_participant_page_in_japanese(offline):
    from streamlit.testing.v1 import AppTest

    from wikitown.core.paths import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "ja"
    at.run()
    found = leaks(at, "home")
    at.switch_page("wikitown/app/views/participant.py").run()
    found += leaks(at, "participant: join")
    at.text_input[0].input("YAIZU-DEMO")
    at.button[0].click()
    at.run()
    assert not at.exception
    found += leaks(at, "participant")
    assert not found, "\n".join(found)
