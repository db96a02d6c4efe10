"""ISBN-10/13 check digits, the ways people type them, and 10 -> 13."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from wikitown.drafts import isbn
from wikitown.core.errors import InputError


@pytest.mark.parametrize("text", [
    "978-4-04-893065-9", "9784048930659", "978 4 04 893065 9", "ISBN 978-4-04-893065-9",
    "ISBN-13: 978-4-04-893065-9", "９７８－４－０４－８９３０６５－９", "4048930656", "4-04-893065-6",
    "0-8044-2957-X", "080442957x", "978-4480086228",
])
def test_valid_forms(text):
    assert isbn.is_valid(text), text


@pytest.mark.parametrize("text, reason", [
    ("978-4-04-893065-0", "check digit"), ("4048930650", "check digit"), ("978404893065", "length"),
    ("", "empty"), ("97840489306X9", "not digits"), ("1234567890123", "prefix"), ("X048930656", "not digits"),
])
def test_invalid_forms_name_the_isbn(text, reason):
    assert isbn.problem(text) == reason
    if text:
        with pytest.raises(isbn.InvalidISBN) as err:
            isbn.validate(text)
        assert isinstance(err.value, InputError)
        assert text in err.value.message("en") and text in err.value.message("ja")


def test_conversion():
    assert isbn.to_isbn13("4-04-893065-6") == "9784048930659"
    assert isbn.to_isbn10("9784048930659") == "4048930656"
    assert isbn.to_isbn10("979-10-90636-07-1") is None
    assert isbn.display("isbn 978 4 04 893065 9") == "978-4-04-893065-9"
    assert isbn.display("９７８４０４８９３０６５９") == "978-4-04-893065-9"  # hyphenated by python-stdnum
    assert isbn.display("080442957x") == "0-8044-2957-X"
    err = pytest.raises(isbn.InvalidISBN, isbn.validate, "978-4-04-893065-0").value
    assert "チェック数字" in err.message("ja") and "check digit" not in err.message("ja")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_isbn10_converts_and_back(first9):
    code = first9 + isbn.check_digit_10(first9)
    assert isbn.is_valid(code)
    thirteen = isbn.to_isbn13(code)
    assert isbn.is_valid(thirteen) and thirteen.startswith("978")
    assert isbn.to_isbn10(thirteen) == code
    # any single changed digit is caught
    wrong = str((int(code[0]) + 1) % 10) + code[1:]
    assert not isbn.is_valid(wrong)
