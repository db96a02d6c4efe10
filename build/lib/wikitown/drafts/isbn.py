"""ISBN-10 and ISBN-13: check digits, normalisation, conversion.

Librarians type ISBNs as printed (``978-4-04-893065-9``), with spaces, with
full-width digits from a Japanese IME (``９７８４…``) or with an ``ISBN``
prefix; all of these are accepted after NFKC normalisation. Nothing else is
guessed: a wrong check digit is an error that names the ISBN.
"""

from __future__ import annotations

import re
import unicodedata

from wikitown.core.errors import InputError

_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―−ー_]")  # hyphens of every kind a keyboard or IME gives
_PREFIX_RE = re.compile(r"^ISBN(?:-1[03])?:?", re.IGNORECASE)


class InvalidISBN(InputError):
    key = "citations.error.invalid_isbn"

    def __init__(self, isbn: str, reason: str = "check digit"):
        self.isbn = isbn
        super().__init__(f"invalid ISBN {isbn!r} ({reason})", isbn=isbn, reason=reason)


def compact(text: str) -> str:
    """Digits (and a final X) only: ``"ISBN ９７８-4-04"`` -> ``"978404"``."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip()
    text = _PREFIX_RE.sub("", text).strip()
    return _SEPARATORS_RE.sub("", text).upper()


def check_digit_10(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    value = (11 - total % 11) % 11
    return "X" if value == 10 else str(value)


def check_digit_13(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def problem(text: str) -> str | None:
    """Why ``text`` is not a valid ISBN, or None when it is."""
    code = compact(text)
    if not code:
        return "empty"
    if len(code) == 10:
        if not re.fullmatch(r"\d{9}[\dX]", code):
            return "not digits"
        return None if check_digit_10(code[:9]) == code[9] else "check digit"
    if len(code) == 13:
        if not code.isdigit():
            return "not digits"
        if not code.startswith(("978", "979")):
            return "prefix"
        return None if check_digit_13(code[:12]) == code[12] else "check digit"
    return "length"


def is_valid(text: str) -> bool:
    return problem(text) is None


def validate(text: str) -> str:
    """The compact form of a valid ISBN; raises :class:`InvalidISBN` naming it."""
    reason = problem(text)
    if reason:
        raise InvalidISBN(str(text), reason)
    return compact(text)


def to_isbn13(text: str) -> str:
    """ISBN-13 (compact) for a valid ISBN-10 or ISBN-13."""
    code = validate(text)
    if len(code) == 13:
        return code
    first12 = "978" + code[:9]
    return first12 + check_digit_13(first12)


def to_isbn10(text: str) -> str | None:
    """ISBN-10 for a 978 ISBN (979 ones have none)."""
    code = to_isbn13(text)
    if not code.startswith("978"):
        return None
    return code[3:12] + check_digit_10(code[3:12])


def display(text: str) -> str:
    """How to write a valid ISBN in a citation: as the user typed it (hyphens kept),
    normalised to half-width; the compact form when they typed separators oddly."""
    code = validate(text)
    typed = unicodedata.normalize("NFKC", str(text)).strip()
    typed = _PREFIX_RE.sub("", typed).strip().replace(" ", "-").upper()
    return typed if re.fullmatch(r"[\dX]+(-[\dX]+)*", typed) and typed.replace("-", "") == code else code
