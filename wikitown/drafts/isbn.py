"""ISBN-10 and ISBN-13: check digits, normalisation, conversion, hyphenation (python-stdnum).

Librarians type ISBNs as printed (``978-4-04-893065-9``), with spaces, with
full-width digits from a Japanese IME (``９７８４…``) or with an ``ISBN``
prefix; all of these are accepted after NFKC normalisation. Nothing else is
guessed: a wrong check digit is an error that names the ISBN. The clean-up of what people type is
ours; checking, converting and hyphenating are python-stdnum's.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import ean as stdnum_ean
from stdnum import isbn as stdnum_isbn

from wikitown.core.errors import InputError

_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―−ー_]")  # hyphens of every kind a keyboard or IME gives
_PREFIX_RE = re.compile(r"^ISBN(?:-1[03])?:?", re.IGNORECASE)


class InvalidISBN(InputError):
    key = "citations.error.invalid_isbn"

    def __init__(self, isbn: str, reason: str = "check digit"):
        self.isbn = isbn
        self.reason = reason
        super().__init__(f"invalid ISBN {isbn!r} ({reason})", isbn=isbn, reason=reason)

    def message(self, lang: str = "en") -> str:
        from wikitown.core.i18n import t

        reason = t(f"citations.isbn_reason.{self.reason.replace(' ', '_')}", lang)
        return t(self.key, lang, isbn=self.isbn, reason=reason)


def compact(text: str) -> str:
    """Digits (and a final X) only: ``"ISBN ９７８-4-04"`` -> ``"978404"``."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip()
    text = _PREFIX_RE.sub("", text).strip()
    return _SEPARATORS_RE.sub("", text).upper()


def check_digit_10(first9: str) -> str:
    """The ISBN-10 check digit for nine digits (python-stdnum's rule)."""
    return stdnum_isbn._calc_isbn10_check_digit(first9)


def check_digit_13(first12: str) -> str:
    return stdnum_ean.calc_check_digit(first12)


# python-stdnum's verdicts -> the reasons wikitown names (message keys citations.isbn_reason.*)
_REASONS = ((stdnum_isbn.InvalidChecksum, "check digit"), (stdnum_isbn.InvalidLength, "length"),
            (stdnum_isbn.InvalidFormat, "not digits"), (stdnum_isbn.InvalidComponent, "prefix"))


def problem(text: str) -> str | None:
    """Why ``text`` is not a valid ISBN, or None when it is."""
    code = compact(text)
    if not code:
        return "empty"
    if len(code) == 13 and code.isdigit() and not code.startswith(("978", "979")):
        return "prefix"  # python-stdnum calls this a checksum error; a wrong prefix says more
    try:
        stdnum_isbn.validate(code)
    except stdnum_isbn.ValidationError as exc:
        return next((reason for kind, reason in _REASONS if isinstance(exc, kind)), "not digits")
    return None


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
    return stdnum_isbn.to_isbn13(validate(text))


def to_isbn10(text: str) -> str | None:
    """ISBN-10 for a 978 ISBN (979 ones have none)."""
    code = to_isbn13(text)
    return stdnum_isbn.to_isbn10(code) if code.startswith("978") else None


def display(text: str) -> str:
    """How to write a valid ISBN in a citation: hyphenated at the registration group, publisher
    and title boundaries (python-stdnum's range table), as books print it."""
    return stdnum_isbn.format(validate(text))
