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


def signed_in(role: str = "organizer", lang: str = "ja", timeout: float = 90):
    """The app (project app.py) on ``role``'s page of the demo event, signed in with its demo passphrase."""
    from streamlit.testing.v1 import AppTest

    from wikitown.finds.access import DEMO_PASSPHRASES
    from wikitown.core.paths import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(f"wikitown/app/views/{role}.py").run()
    at.text_input[0].input(DEMO_PASSPHRASES[role])
    at.button[0].click()
    return at.run()
