"""Building wikitext as parsed nodes, and escaping what users typed.

Everything wikitown writes to a wiki (citations, drafts, file pages) is built
with mwparserfromhell nodes and checked by parsing it back. Text from a user
(a note, a book title, a credit) goes through :func:`escape` first, so it can
never open a template, a link, a tag, a table or a signature.
"""

from __future__ import annotations

import re
import urllib.parse

import mwparserfromhell
from mwparserfromhell.nodes import Template

# Characters that start markup somewhere in wikitext, written as numeric
# character references: they render as themselves and parse as plain text.
_ESCAPES = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "{": "&#123;", "}": "&#125;", "[": "&#91;",
    "]": "&#93;", "~": "&#126;", "'": "&#39;", "=": "&#61;", "_": "&#95;", "*": "&#42;", "#": "&#35;",
    ":": "&#58;", ";": "&#59;", "!": "&#33;",
}
_ESCAPE_RE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
_SAFE_IN_TEXT = set("!:;*#=_")  # harmless mid-line; only escaped where they could start markup
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text, *, inline: bool = True) -> str:
    """User text as wikitext that displays exactly that text.

    ``inline``: newlines become spaces (template values, captions). Otherwise
    newlines are kept and each line's start is escaped (lists, headings, tables).
    """
    if text is None:
        return ""
    text = _CONTROL_RE.sub("", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    if inline:
        text = re.sub(r"\s*\n\s*", " ", text).strip()
    out_lines = []
    for line in text.split("\n"):
        escaped = []
        for i, ch in enumerate(line):
            if ch in _ESCAPES and (ch not in _SAFE_IN_TEXT or i == 0 or _needs_mid_escape(line, i)):
                escaped.append(_ESCAPES[ch])
            else:
                escaped.append(ch)
        line = "".join(escaped)
        if line.startswith(" "):  # a leading space makes a <pre> block
            line = "&#32;" + line[1:]
        out_lines.append(line)
    return "\n".join(out_lines)


def _needs_mid_escape(line: str, i: int) -> bool:
    ch = line[i]
    neighbours = line[i - 1:i] + line[i + 1:i + 2]
    if ch == "_":
        return "_" in neighbours  # __NOTOC__ and other behaviour switches
    if ch == "=":
        return True  # would split a template parameter into name=value
    if ch == "!":
        return "!" in neighbours  # !! separates table cells
    return False


def escape_url(url: str) -> str:
    """A URL safe inside a template value or an external link."""
    url = _CONTROL_RE.sub("", str(url or "")).strip()
    return urllib.parse.quote(url, safe=":/?&=%#@!$()*+,;~-._'")


def template(name: str, params: list[tuple[str | None, str]] | dict[str, str] | None = None) -> Template:
    """A template node. ``params``: (name, value) pairs, ``None`` for positional.
    Values must already be escaped (or be trusted wikitext built by wikitown)."""
    node = Template(name)
    items = params.items() if isinstance(params, dict) else (params or [])
    position = 1
    for key, value in items:
        if key is None:
            node.add(str(position), value, showkey=False)
            position += 1
        else:
            node.add(key, value)
    return node


def parse(text: str):
    return mwparserfromhell.parse(text)


def templates_named(code, name: str) -> list[Template]:
    wanted = _norm_name(name)
    return [t for t in code.filter_templates(recursive=True) if _norm_name(str(t.name)) == wanted]


def _norm_name(name: str) -> str:
    name = name.strip().replace("_", " ")
    return (name[:1].upper() + name[1:]) if name else name


def round_trips(node) -> bool:
    """True when ``node`` written out parses back to one equal node."""
    text = str(node)
    parsed = mwparserfromhell.parse(text)
    return len(parsed.nodes) == 1 and str(parsed.nodes[0]) == text


def unescape(text: str) -> str:
    """The text a reader sees for escaped wikitext (inverse of :func:`escape`)."""
    import html

    return html.unescape(text)
