"""Synthetic GB 11643-1999 numbers for demos and tests. They validate but belong to no one."""

from __future__ import annotations

import random
from datetime import date, datetime

from civicid.ids.checksum import check_character
from civicid.ids.errors import IdNumberBirthDate, IdNumberRegion
from civicid.ids.gb11643 import EARLIEST_BIRTH_DATE, Sex
from civicid.ids.regions import SAMPLE_COUNTIES, is_plausible_region

DEFAULT_MAX_AGE_DAYS = 100 * 365  # default birth dates: within the last hundred years or so


def generate_id_number(
    rng: random.Random,
    *,
    today: date,
    birth_date: date | None = None,
    sex: Sex | str | None = None,
    region_code: str | None = None,
) -> str:
    """A valid 18-character number (GB 11643-1999 §5) built from ``rng``.

    Fields not given are drawn from ``rng``: a region from a sample of real county codes, a birth
    date in the last hundred years (never before 1900-01-01 or after ``today``), a sex, and a
    sequence number of that parity (001-999; 000 is never drawn).

    Raises:
        IdNumberRegion: ``region_code`` is not six digits with a known province prefix.
        IdNumberBirthDate: ``birth_date`` is before 1900-01-01 or after ``today``.
    """
    if isinstance(today, datetime):
        today = today.date()

    if region_code is None:
        region_code = rng.choice(sorted(SAMPLE_COUNTIES))
    elif not is_plausible_region(region_code):
        raise IdNumberRegion()

    if birth_date is None:
        first = max(EARLIEST_BIRTH_DATE.toordinal(), today.toordinal() - DEFAULT_MAX_AGE_DAYS)
        birth_date = date.fromordinal(rng.randint(first, today.toordinal()))
    elif not EARLIEST_BIRTH_DATE <= birth_date <= today:
        raise IdNumberBirthDate(reason="out_of_range")

    sex = Sex(sex) if sex is not None else rng.choice((Sex.MALE, Sex.FEMALE))
    sequence = rng.randrange(1 if sex is Sex.MALE else 2, 1000, 2)

    body = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + check_character(body)
