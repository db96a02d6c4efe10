"""Helpers for tests that drive the app with streamlit.testing.v1.AppTest."""

from __future__ import annotations

TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text")


def texts(at, kinds=TEXT_KINDS) -> str:
    """Every visible text of a run, one element a line (dataframes draw on a canvas: not here)."""
    out = []
    for kind in kinds:
        out += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(out)


def md_shown(markdown: str) -> str:
    """What a reader sees of Markdown source whose only markup is backslash escapes (the app escapes
    every message parameter: ``File\\:a\\.jpg`` shows as ``File:a.jpg``)."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def click(at, label):
    """Press the button labelled ``label`` and run the script again."""
    for b in at.button:
        if b.label == label:
            b.click()
            return at.run()
    raise AssertionError(f"no button {label!r}: {[b.label for b in at.button]}")


def sign_in_form(role: str = "organizer", lang: str = "ja", timeout: float = 90):
    """The app (project app.py) on ``role``'s sign-in form of the demo event."""
    from streamlit.testing.v1 import AppTest

    from wikitown.core.paths import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    return at.switch_page(f"wikitown/app/views/{role}.py").run()


def signed_in(role: str = "organizer", lang: str = "ja", timeout: float = 90, view: str | None = None):
    """The app (project app.py) on ``role``'s page of the demo event, signed in with its demo passphrase
    (on the organizer's ``view`` when given: only the open view is drawn)."""
    from wikitown.finds.access import DEMO_PASSPHRASES

    at = sign_in_form(role, lang, timeout)
    at.text_input[0].input(DEMO_PASSPHRASES[role])
    at.button[0].click()
    at.run()
    return open_view(at, view) if view else at


# The tab bars of the pages (wikitown.app.navigation.view_tabs keys).
TAB_BARS = {"organizer": "organizer_view"}


def open_view(at, view: str, page: str = "organizer"):
    """Open a view of a page's tab bar (as a click on its tab would) and run the script again."""
    at.session_state[f"{TAB_BARS[page]}_goto"] = view
    return at.run()
