"""Text normalisation for Japanese names: NFKC, spaces, kana folding."""

from __future__ import annotations

import re
import unicodedata

_SPACE_RE = re.compile(r"\s+")


def nfkc(text) -> str:
    """NFKC with whitespace collapsed: full-width letters and digits become
    half-width, half-width katakana become full-width."""
    if text is None:
        return ""
    if isinstance(text, float) and text != text:  # pandas NaN
        return ""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", str(text))).strip()


def hira_to_kata(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def kata_to_hira(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)
