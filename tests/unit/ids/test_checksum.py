"""ISO 7064 MOD 11-2 as used by GB 11643-1999 §5.5, checked against the standard's own table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicid.ids.checksum import CHECK_CHARACTERS, check_character, check_value, is_valid
from civicid.ids.errors import IdNumberCharset

# GB 11643-1999 §5.5 as printed, an oracle independent of the Horner implementation.
GB_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB_CHECK_BY_REMAINDER = "10X98765432"


def gb_check_character(body: str) -> str:
    return GB_CHECK_BY_REMAINDER[sum(int(d) * w for d, w in zip(body, GB_WEIGHTS, strict=True)) % 11]


def test_gb_weights_are_the_mod_11_2_weights() -> None:
    # Position i from the right (check character = position 1) weighs 2^(i-1) mod 11.
    assert GB_WEIGHTS == tuple(pow(2, 17 - k, 11) for k in range(17))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("11010519491231002", "X"),  # GB 11643-1999 Annex A
        ("44052418800101001", "4"),  # GB 11643-1999 Annex A
        ("11010520250601001", "0"),
    ],
)
def test_published_examples(body: str, expected: str) -> None:
    assert check_character(body) == expected
    assert is_valid(body + expected)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_matches_the_printed_table(body: str) -> None:
    assert check_character(body) == gb_check_character(body)


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_appended_check_makes_the_weighted_sum_one(digits: str) -> None:
    full = [int(d) for d in digits] + [check_value(digits)]
    weighted = sum(v * pow(2, len(full) - 1 - k, 11) for k, v in enumerate(full))
    assert weighted % 11 == 1


def test_every_check_value_occurs() -> None:
    seen = {check_character(f"{n:017d}") for n in range(200)}
    assert seen == set(CHECK_CHARACTERS)


@pytest.mark.parametrize("digits", ["", "12a", "１２３", "\u00b2"])
def test_non_ascii_digits_are_refused(digits: str) -> None:
    with pytest.raises(IdNumberCharset):
        check_value(digits)


@pytest.mark.parametrize("text", ["", "X", "1X1", "１１０１０５１９４９１２３１００２X", "11010519491231002x"])
def test_is_valid_refuses_non_canonical_text(text: str) -> None:
    assert not is_valid(text)
