"""New people for the demo registry: their GB 11643-1999 number and the birth date it encodes.

A resident identity number carries its holder's birth date (GB 11643-1999 §5.3, characters 7-14),
so the two are never chosen apart: given a birth date only, a number with that date is generated;
given a number only, its date is the birth date; given both, they must agree
(:class:`~civicid.registry.errors.BirthDateMismatch`).
"""

from __future__ import annotations

import random
from datetime import date

from civicid.ids import Sex, generate_id_number, parse_id_number
from civicid.registry.errors import BirthDateMismatch
from civicid.registry.interfaces import RegistryRecord

ADULT_AGE_YEARS = (18, 80)  # the ages a visitor's demo person is given when no birth date is


def demo_record(rng: random.Random, *, today: date, name: str, photo: bytes, id_number: str | None = None,
                birth_date: date | None = None) -> RegistryRecord:
    """A registry record for a demo person.

    Without ``id_number``, one is generated from ``rng`` (with ``birth_date`` when given, else a
    date the generator draws); with it, it is validated and ``birth_date``, if given, must be the
    date it encodes.

    Raises:
        IdNumberError: ``id_number`` is not a valid number, or ``birth_date`` is before
            1900-01-01 or after ``today`` (``id_number.birth_date``).
        BirthDateMismatch: ``id_number`` and ``birth_date`` disagree.
    """
    text = id_number if id_number is not None else generate_id_number(rng, today=today, birth_date=birth_date)
    number = parse_id_number(text, today=today)
    if birth_date is not None and number.birth_date != birth_date:
        raise BirthDateMismatch()
    return RegistryRecord(id_number=number.value, name=name, birth_date=number.birth_date,
                          sex="M" if number.sex is Sex.MALE else "F", photo=photo)


def random_adult_birth_date(rng: random.Random, *, today: date) -> date:
    """A birth date drawn from ``rng`` of someone aged 18 to 80 on ``today`` (inclusive)."""
    youngest, oldest = ADULT_AGE_YEARS
    latest = _years_before(today, youngest)
    earliest = date.fromordinal(_years_before(today, oldest + 1).toordinal() + 1)
    return date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year - years, day=28)
