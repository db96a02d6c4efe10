"""Descriptive, unique Commons file names: ``常楽寺 (焼津市) 2026-11-28 01.jpg``.

MediaWiki refuses ``# < > [ ] | { }`` and control characters in titles and
replaces ``: / \\`` in file names with ``-`` (``$wgIllegalFileChars``), so a
name built here is what the wiki will store. Names are limited to 240 bytes of
UTF-8 (Commons' advice, below MediaWiki's 255-byte title limit).
"""

from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 240
FORBIDDEN = "#<>[]|{}"
_FORBIDDEN_RE = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_REPLACED_RE = re.compile(r"[:/\\]")  # MediaWiki would turn them into '-': do it openly
_PERCENT_RE = re.compile(r"%([0-9A-Fa-f]{2})")  # '%41' in a title would be decoded
_ENTITY_RE = re.compile(r"&([A-Za-z0-9]+|#[0-9]+|#x[0-9A-Fa-f]+);")
_SPACE_RE = re.compile(r"[\s_]+")


def clean_part(text: str) -> str:
    """One part of a file name with everything MediaWiki refuses removed."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = _FORBIDDEN_RE.sub("", text)
    text = _REPLACED_RE.sub("-", text)
    text = _PERCENT_RE.sub(r"% \1", text)
    text = _ENTITY_RE.sub(r"&\1", text)
    text = text.replace("~~~", "~~")
    text = _SPACE_RE.sub(" ", text).strip(" .-")
    return text


def problems(name: str) -> list[str]:
    """Why ``name`` cannot be a file name as it is (empty list: fine). English codes
    for the plan's warnings: forbidden, too_long, no_extension, empty."""
    out = []
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if not stem.strip():
        out.append("empty")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,5}", ext):
        out.append("no_extension")
    if clean_part(stem) != stem or _FORBIDDEN_RE.search(name) or _REPLACED_RE.search(name):
        out.append("forbidden")
    if len(name.encode("utf-8")) > MAX_BYTES:
        out.append("too_long")
    return out


def truncate_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` (whole characters) that fits ``limit`` bytes of UTF-8."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:max(limit, 0)].decode("utf-8", errors="ignore").rstrip(" .-(")


def describe(site_name: str, municipality: str = "", date: str = "") -> str:
    """The descriptive part: ``常楽寺 (焼津市) 2026-11-28``."""
    # The site name is shortened first, so the place and date always stay in the name.
    parts = [truncate_bytes(clean_part(site_name), 160) or "Photo"]
    municipality = clean_part(municipality)
    if municipality and municipality not in parts[0]:
        parts.append(f"({municipality})")
    if date:
        parts.append(clean_part(date[:10]))
    return " ".join(parts)


def build_name(description: str, number: int, ext: str) -> str:
    """``description NN.ext`` within MAX_BYTES (the description is shortened, never the
    number or the extension)."""
    ext = ext.lower().lstrip(".") or "jpg"
    suffix = f" {number:02d}.{ext}"
    stem = truncate_bytes(clean_part(description), MAX_BYTES - len(suffix.encode("utf-8")))
    name = f"{stem or 'Photo'}{suffix}"
    return name[:1].upper() + name[1:]  # as the wiki stores it ($wgCapitalLinks)


def normal_key(name: str) -> str:
    """How the wiki compares titles: spaces = underscores, first letter upper case."""
    name = _SPACE_RE.sub(" ", name).strip()
    return name[:1].upper() + name[1:]


class NameAllocator:
    """Hands out unique names: per description, numbers 01, 02 ... skipping any
    name already used in this plan or reported taken on the wiki."""

    def __init__(self, taken=()):
        self.used: set[str] = {normal_key(n) for n in taken}
        self._next: dict[str, int] = {}

    def reserve(self, name: str) -> None:
        self.used.add(normal_key(name))

    def is_free(self, name: str) -> bool:
        return normal_key(name) not in self.used

    def allocate(self, description: str, ext: str) -> str:
        number = self._next.get(description, 1)
        while True:
            name = build_name(description, number, ext)
            number += 1
            if self.is_free(name):
                self._next[description] = number
                self.reserve(name)
                return name
