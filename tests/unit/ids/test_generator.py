"""Synthetic GB 11643-1999 numbers: deterministic under an injected rng, valid, and as requested."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from civicid.ids import IdNumberBirthDate, IdNumberRegion, Sex, generate_id_number, parse_id_number
from civicid.ids.regions import SAMPLE_COUNTIES, is_plausible_region

TODAY = date(2025, 6, 1)


def test_same_seed_same_numbers() -> None:
    first = [generate_id_number(random.Random(7), today=TODAY) for _ in range(3)]
    assert first == [generate_id_number(random.Random(7), today=TODAY)] * 3
    rng = random.Random(7)
    assert len({generate_id_number(rng, today=TODAY) for _ in range(50)}) == 50


def test_requested_fields_are_used() -> None:
    number = generate_id_number(
        random.Random(1), today=TODAY, birth_date=date(1988, 2, 29), sex=Sex.FEMALE, region_code="440305"
    )
    parsed = parse_id_number(number, today=TODAY)
    assert (parsed.region_code, parsed.birth_date, parsed.sex) == ("440305", date(1988, 2, 29), Sex.FEMALE)


def test_sex_may_be_given_as_text() -> None:
    number = generate_id_number(random.Random(2), today=TODAY, sex="male")
    assert parse_id_number(number, today=TODAY).sex is Sex.MALE


def test_defaults_are_plausible() -> None:
    rng = random.Random(3)
    parsed = [parse_id_number(generate_id_number(rng, today=TODAY), today=TODAY) for _ in range(300)]
    assert {p.region_code for p in parsed} <= set(SAMPLE_COUNTIES)
    assert all(TODAY - timedelta(days=100 * 365) <= p.birth_date <= TODAY for p in parsed)
    assert {p.sex for p in parsed} == {Sex.MALE, Sex.FEMALE}
    assert all(p.sequence != "000" for p in parsed)


def test_default_birth_dates_respect_the_1900_floor() -> None:
    rng = random.Random(4)
    early_today = date(1950, 1, 1)
    for _ in range(200):
        parsed = parse_id_number(generate_id_number(rng, today=early_today), today=early_today)
        assert parsed.birth_date >= date(1900, 1, 1)


def test_every_sample_county_is_plausible() -> None:
    assert all(is_plausible_region(code) for code in SAMPLE_COUNTIES)


@pytest.mark.parametrize("region_code", ["000000", "990101", "11010", "11010a", "１１０１０５"])
def test_implausible_region_is_refused(region_code: str) -> None:
    with pytest.raises(IdNumberRegion):
        generate_id_number(random.Random(0), today=TODAY, region_code=region_code)


@pytest.mark.parametrize("birth_date", [date(1899, 12, 31), date(2025, 6, 2)])
def test_out_of_range_birth_date_is_refused(birth_date: date) -> None:
    with pytest.raises(IdNumberBirthDate):
        generate_id_number(random.Random(0), today=TODAY, birth_date=birth_date)
