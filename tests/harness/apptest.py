"""Helpers for tests that drive the app with streamlit.testing.v1.AppTest."""

from __future__ import annotations

TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text")


def texts(at, kinds=TEXT_KINDS) -> str:
    """Every visible text of a run, one element a line (dataframes draw on a canvas: not here)."""
    out = []
    for kind in kinds:
        out += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(out)


def click(at, label):
    """Press the button labelled ``label`` and run the script again."""
    for b in at.button:
        if b.label == label:
            b.click()
            return at.run()
    raise AssertionError(f"no button {label!r}: {[b.label for b in at.button]}")
