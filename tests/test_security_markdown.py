"""Markdown someone wrote never renders on another person's screen (issue 13, point 3): the
app's messages escape every parameter in one place (``t(..., markdown=True)``, used by the
pages' ``ctx.t`` and by every ``.message(lang, markdown=True)``)."""
from __future__ import annotations

import pytest

from tests.harness.requirements import need

need("streamlit")
from markdown_it import MarkdownIt  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.harness import PROJECT_ROOT  # noqa: E402
from wikitown.core.errors import InputError  # noqa: E402
from wikitown.core.i18n import t  # noqa: E402
from wikitown.store.events import create_event  # noqa: E402
from wikitown.store.sites import upsert_sites  # noqa: E402

HEADING = "== ![tracker](http://evil.example/pixel.png) =="
LINK = "[Re-login](http://evil.example/x) **now** <img src=x onerror=alert(1)>"


def _rendered(markdown: str) -> tuple[set[str], str]:
    """(token types, plain text) of Markdown as a CommonMark renderer reads it."""
    types, text = set(), []
    for block in MarkdownIt("commonmark").parse(markdown):
        types.add(block.type)
        for child in block.children or []:
            types.add(child.type)
            if child.type == "text":
                text.append(child.content)
    return types, "".join(text)


def test_message_parameters_are_escaped_only_for_markdown():
    assert t("drafts.check.unreferenced_paragraph", "en", excerpt=LINK).endswith(LINK)  # CLI, files: as typed
    shown = t("drafts.check.unreferenced_paragraph", "en", markdown=True, excerpt=LINK)
    types, text = _rendered(shown)
    assert not types & {"link_open", "image", "html_inline", "strong_open"}, types
    assert LINK in text
    err = InputError("x", key="sites.error.unreadable", file="[a](http://evil.example)", reason="**b**")
    types, text = _rendered(err.message("en", markdown=True))
    assert "link_open" not in types and "[a](http://evil.example)" in text and "**b**" in text


@pytest.fixture
def event(tmp_path, monkeypatch):
    events = tmp_path / "events"
    ev = create_event(events / "town", name="town", lat=34.86, lon=138.32, radius_km=3, code="CODE-7Q4K-2026")
    upsert_sites(ev.store, [{"id": "s1", "name": "常楽寺", "lat": 34.8647761, "lon": 138.3246443}])
    ev.close()
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WIKITOWN_WIKI_API_URL", "http://127.0.0.1:9/api.php")  # no wiki: nothing to ask
    return ev


def test_hostile_draft_check_messages_show_as_text_for_the_librarian(event):
    at = AppTest.from_file(str(PROJECT_ROOT / "wikitown/app/views/librarian.py"), default_timeout=60)
    at.session_state["roles"] = {str(event.dir): "librarian"}
    at.session_state["lang"] = "en"
    at.run()
    at.checkbox(key="draft_check_title").uncheck()
    at.button(key="draft_create").click().run()
    assert not at.exception
    area = at.text_area[0]
    area.set_value(area.value + f"\n\n{HEADING}\n{LINK}\n\nhttp://evil.example/bare [[unclosed\n")
    at.button(key="draft_save_1").click().run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    hostile = [w for w in warnings if "evil.example" in _rendered(w)[1]]
    assert hostile, warnings
    for body in hostile:
        types, text = _rendered(body)
        assert not types & {"link_open", "image", "html_inline", "strong_open", "heading_open"}, (body, types)
        assert "evil.example" in text
    assert any("![tracker](http://evil.example/pixel.png)" in _rendered(w)[1] for w in hostile), hostile
    assert any("[Re-login](http://evil.example/x)" in _rendered(w)[1] for w in hostile), [_rendered(w)[1] for w in hostile]


def test_every_message_method_can_escape_for_markdown():
    """The app calls ``.message(lang, markdown=True)`` on whatever it shows: every class with a
    ``message`` method must take it (else the page shows a traceback instead of the message)."""
    import importlib
    import inspect
    import pkgutil

    import wikitown

    missing = []
    for info in pkgutil.walk_packages(wikitown.__path__, "wikitown."):
        if info.name.startswith("wikitown.app") or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            method = cls.__dict__.get("message")
            if cls.__module__ == module.__name__ and callable(method):
                if "markdown" not in inspect.signature(method).parameters:
                    missing.append(f"{cls.__module__}.{cls.__qualname__}")
    assert not missing, missing
