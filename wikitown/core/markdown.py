"""Someone's text inside Markdown (the app's messages, the report): shown exactly as typed."""

from __future__ import annotations

import re

# Every ASCII punctuation character CommonMark may read as markup; a backslash before one shows it as itself.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'])")
_MD_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def markdown_text(value) -> str:
    """A credit, a site name, a file name or a book title as Markdown that shows exactly that
    text on one line: no emphasis, links, images, HTML or table cells can be made from it."""
    text = _MD_CONTROL.sub("", str(value)).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


class Markdown(str):
    """Text already safe as Markdown (escaped, or written by us): message parameters of this
    type are used as they are, everything else someone typed is escaped (see core.i18n)."""


def markdown_param(value):
    """A message parameter for a Markdown message: numbers as they are, text escaped once."""
    if isinstance(value, Markdown) or isinstance(value, (int, float)):
        return value
    return Markdown(markdown_text(value))
