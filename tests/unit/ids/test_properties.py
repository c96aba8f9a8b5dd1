"""Error detection of GB 11643-1999 numbers (ISO 7064 MOD 11-2), as properties and as proofs.

MOD 11-2 catches every single substitution and every transposition of two adjacent unequal
characters, including those that involve the check character; the two exhaustive tests over the
weights show why. What the parser cannot catch is not a change of the number at all: it accepts a
full-width digit, a lowercase x, or white space as spellings of the same number. And a 15-digit
GB 11643-1989 number has no check character, so a typing error in one is undetectable unless it
breaks the region or the date; ``test_legacy_numbers_have_no_error_detection`` shows this.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from civicid.ids import IdNumberCharset, IdNumberError, Sex, generate_id_number, normalise, parse_id_number
from civicid.ids.checksum import is_valid
from civicid.ids.regions import PROVINCES

CANONICAL = "0123456789X"
ANNEX_A = "11010519491231002X"
TODAY = date(2025, 6, 1)
# Weights of the 18 positions, left to right; the check character weighs 1.
WEIGHTS = tuple(pow(2, 17 - k, 11) for k in range(18))
# Input characters that normalise() maps onto a canonical one.
LENIENT = {chr(0xFF10 + n): str(n) for n in range(10)} | {"x": "X", "\uff38": "X", "\uff58": "X"}

regions = st.builds(lambda p, n: f"{p}{n:04d}", st.sampled_from(sorted(PROVINCES)), st.integers(0, 9999))
cases = st.tuples(
    st.randoms(use_true_random=False),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.none() | st.sampled_from(list(Sex)),
    st.none() | regions,
    st.booleans(),
).map(
    lambda c: (
        generate_id_number(
            c[0], today=c[1], sex=c[2], region_code=c[3], birth_date=c[1] if c[4] else None
        ),
        c[1],
    )
)
checked = settings(max_examples=150, deadline=None)


def substitutions(number: str, alphabet: str):
    for i, old in enumerate(number):
        for new in alphabet:
            if new != old:
                yield i, number[:i] + new + number[i + 1 :]


def adjacent_swaps(number: str):
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            yield i, number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def test_mod_11_2_changes_the_sum_for_every_substitution() -> None:
    # A change a -> b at weight w shifts the sum by (b - a) * w; with 11 prime and 0 < |b - a| <= 10
    # and w = 2^k mod 11 != 0, the product is never 0 mod 11. Values 0..10 include the check 'X'.
    for w in WEIGHTS:
        assert all((b - a) * w % 11 for a in range(11) for b in range(11) if a != b)


def test_mod_11_2_changes_the_sum_for_every_adjacent_swap() -> None:
    # Swapping a (weight 2w) and b (weight w) shifts the sum by (b - a) * (2w - w) = (b - a) * w.
    for left, right in zip(WEIGHTS, WEIGHTS[1:]):
        assert left == 2 * right % 11
        assert all((b - a) * (left - right) % 11 for a in range(11) for b in range(11) if a != b)


@checked
@given(cases)
def test_generated_numbers_validate(case: tuple[str, date]) -> None:
    number, today = case
    parsed = parse_id_number(number, today=today)
    assert parsed.value == number
    assert is_valid(number)


@checked
@given(cases)
def test_every_single_substitution_is_rejected(case: tuple[str, date]) -> None:
    number, today = case
    for i, changed in substitutions(number, CANONICAL):
        # The checksum alone catches it (an X before the 18th place is not even a digit) ...
        assert not is_valid(changed)
        # ... and the parser rejects it, possibly earlier in its check order.
        with pytest.raises(IdNumberError) as caught:
            parse_id_number(changed, today=today)
        if i < 17 and changed[i] == "X":
            assert isinstance(caught.value, IdNumberCharset)


@checked
@given(cases)
def test_every_adjacent_swap_is_rejected(case: tuple[str, date]) -> None:
    number, today = case
    for _, swapped in adjacent_swaps(number):
        assert not is_valid(swapped)
        with pytest.raises(IdNumberError):
            parse_id_number(swapped, today=today)


@checked
@given(cases)
def test_lenient_spellings_are_the_same_number_not_a_change(case: tuple[str, date]) -> None:
    number, today = case
    for i, changed in substitutions(number, "".join(LENIENT) + " "):
        if LENIENT.get(changed[i]) == number[i]:
            # Same character, another spelling: accepting it is the point of normalisation.
            assert parse_id_number(changed, today=today).value == number
        else:
            with pytest.raises(IdNumberError):
                parse_id_number(changed, today=today)


def test_exhaustively_on_the_annex_a_example() -> None:
    changes = [c for _, c in substitutions(ANNEX_A, CANONICAL)] + [c for _, c in adjacent_swaps(ANNEX_A)]
    assert len(changes) == 18 * 10 + 15  # 17 neighbour pairs, of which "11" and "00" are equal
    for changed in changes:
        with pytest.raises(IdNumberError):
            parse_id_number(changed, today=TODAY)


@checked
@given(cases)
def test_legacy_numbers_have_no_error_detection(case: tuple[str, date]) -> None:
    number, today = case
    assume(number[6:8] == "19")
    legacy = number[:6] + number[8:17]
    assert normalise(legacy) == number
    # Change the last sequence digit: the legacy number stays valid, as a different number,
    # because its check character is computed rather than read.
    other = legacy[:-1] + str((int(legacy[-1]) + 1) % 10)
    upgraded = parse_id_number(other, today=today)
    assert upgraded.value != number
    assert upgraded.value[:17] == number[:16] + other[-1]
