"""Resident identity numbers of GB 11643-1999 (公民身份号码): normalisation and validation.

An 18-character number is, left to right (GB 11643-1999 §5.1):

    RRRRRR YYYYMMDD SSS C
    region (§5.2)  birth date (§5.3)  sequence (§5.4, odd = male, even = female)  check (§5.5)

The check character is ISO 7064 MOD 11-2 over the first 17 digits (see :mod:`civicid.ids.checksum`).
Numbers issued under GB 11643-1989 have 15 digits, a two-digit year (always 19xx) and no check
character; :func:`normalise` upgrades them to 18 the way the 1999 standard's transition did, by
inserting "19" and computing the check character.

:func:`parse_id_number` checks, in this order, and raises the first failure:

1. ``id_number.charset`` - a character other than a digit or X (white space is ignored, full-width
   digits and a lowercase or full-width x are accepted);
2. ``id_number.length`` - not 15 or 18 characters after normalisation;
3. ``id_number.charset`` - an X anywhere but the 18th character (a 15-digit number has none);
4. ``id_number.region`` - no GB/T 2260 province prefix;
5. ``id_number.birth_date`` - not a calendar date, before ``earliest_birth_date`` or after ``today``;
6. ``id_number.checksum`` - the check character does not match.

Format problems come first because nothing else can be read without them; the checksum comes last
so that a number whose region or date is impossible is reported as such, which tells the user more
than "typing error".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from civicid.ids.checksum import check_character
from civicid.ids.errors import (
    IdNumberBirthDate,
    IdNumberChecksum,
    IdNumberCharset,
    IdNumberLength,
    IdNumberRegion,
)
from civicid.ids.regions import is_plausible_region

LENGTH = 18
LEGACY_LENGTH = 15
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# Characters accepted on input and what they stand for. Deliberately not NFKC, which would also
# accept superscript and circled digits ('²', '①') that nobody types for an ID number.
_FULL_WIDTH_ZERO = 0xFF10
_CANONICAL: dict[str, str] = {
    **{char: char for char in "0123456789X"},
    "x": "X",
    **{chr(_FULL_WIDTH_ZERO + n): str(n) for n in range(10)},
    "\uff38": "X",  # FULLWIDTH LATIN CAPITAL LETTER X
    "\uff58": "X",  # FULLWIDTH LATIN SMALL LETTER X
}


class Sex(StrEnum):
    """Sex as encoded by the parity of the sequence number (GB 11643-1999 §5.4)."""

    MALE = "male"
    FEMALE = "female"

    @classmethod
    def from_sequence(cls, sequence: int) -> Sex:
        return cls.MALE if sequence % 2 else cls.FEMALE


@dataclass(frozen=True, repr=False)
class IdNumber:
    """A valid 18-character GB 11643-1999 number and the fields encoded in it."""

    value: str
    region_code: str
    birth_date: date
    sequence: str
    sex: Sex

    @property
    def check_character(self) -> str:
        return self.value[-1]

    def age_on(self, day: date) -> int:
        """Age in completed years on ``day`` (someone born on 29 February ages on 1 March)."""
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)

    def __repr__(self) -> str:
        # Personal data: keep full numbers out of logs and tracebacks.
        return f"IdNumber(value={self.value[:2] + '*' * 14 + self.value[-2:]!r})"


def normalise(text: str) -> str:
    """The canonical 18-character form of ``text`` (GB 11643-1999 §5.1).

    White space is removed, full-width digits become ASCII, x becomes X, and a 15-digit number of
    GB 11643-1989 is upgraded by inserting the century "19" and appending the ISO 7064 MOD 11-2
    check character. Only the format is checked (steps 1-3 of the module docstring); use
    :func:`parse_id_number` for a full validation.

    Raises:
        IdNumberCharset: a character that is not allowed, or an X that is not the 18th character;
            ``detail["position"]`` is its 1-based position in ``text``.
        IdNumberLength: not 15 or 18 characters once white space is removed.
    """
    if not isinstance(text, str):
        raise IdNumberCharset("An ID number must be given as text.")
    chars: list[str] = []
    positions: list[int] = []
    for position, char in enumerate(text, start=1):
        if char.isspace():
            continue
        canonical = _CANONICAL.get(char)
        if canonical is None:
            raise IdNumberCharset(position=position)
        chars.append(canonical)
        positions.append(position)

    if len(chars) not in (LENGTH, LEGACY_LENGTH):
        raise IdNumberLength(length=len(chars))
    digit_count = LENGTH - 1 if len(chars) == LENGTH else LEGACY_LENGTH
    for index in range(digit_count):
        if chars[index] == "X":
            raise IdNumberCharset(position=positions[index])

    value = "".join(chars)
    if len(value) == LEGACY_LENGTH:
        body = value[:6] + "19" + value[6:]
        value = body + check_character(body)
    return value


def parse_id_number(
    text: str,
    *,
    today: date,
    earliest_birth_date: date = EARLIEST_BIRTH_DATE,
) -> IdNumber:
    """Validate a GB 11643-1999 resident identity number and return its fields.

    ``text`` may be an 18-character number or a 15-digit GB 11643-1989 number, with the input
    leniency of :func:`normalise`. Checks run in the order listed in the module docstring.

    Args:
        today: the current date, injected; birth dates after it are rejected.
        earliest_birth_date: birth dates before it are rejected (policy, default 1900-01-01).

    Raises:
        IdNumberCharset, IdNumberLength, IdNumberRegion, IdNumberBirthDate, IdNumberChecksum.
    """
    value = normalise(text)

    region_code = value[:6]
    if not is_plausible_region(region_code):
        raise IdNumberRegion()

    birth_date = _birth_date(value[6:14], today=today, earliest=earliest_birth_date)

    if value[17] != check_character(value[:17]):
        raise IdNumberChecksum()

    sequence = value[14:17]
    return IdNumber(
        value=value,
        region_code=region_code,
        birth_date=birth_date,
        sequence=sequence,
        sex=Sex.from_sequence(int(sequence)),
    )


def _birth_date(digits: str, *, today: date, earliest: date) -> date:
    """The birth date code of GB 11643-1999 §5.3 (YYYYMMDD, GB/T 7408), checked against policy."""
    if isinstance(today, datetime):
        today = today.date()
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        message = "The birth date in the ID number does not exist."
        raise IdNumberBirthDate(message, reason="not_a_date") from None
    if born > today:
        raise IdNumberBirthDate("The birth date in the ID number is in the future.", reason="in_future")
    if born < earliest:
        raise IdNumberBirthDate(
            f"The birth date in the ID number is before {earliest.isoformat()}.", reason="too_early"
        )
    return born
