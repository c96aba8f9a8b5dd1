"""New demo registry people: the number and the birth date it encodes are chosen together."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, strategies as st

from civicid.ids import IdNumberBirthDate, parse_id_number
from civicid.registry.demo_people import demo_record, random_adult_birth_date
from civicid.registry.errors import BirthDateMismatch

TODAY = date(2026, 11, 2)


@given(seed=st.integers(0, 2**32), today=st.dates(date(1990, 1, 1), date(2100, 12, 31)))
def test_a_random_adult_is_18_to_80_on_the_day(seed, today):
    born = random_adult_birth_date(random.Random(seed), today=today)
    number = parse_id_number(demo_record(random.Random(seed), today=today, name="X", photo=b"", birth_date=born)
                             .id_number, today=today)
    assert number.birth_date == born and 18 <= number.age_on(today) <= 80


@pytest.mark.parametrize("today", [date(2028, 2, 29), date(2027, 3, 1)])
def test_the_age_bounds_are_reached_and_hold_around_29_february(today):
    rng = random.Random(0)
    ages = {parse_id_number(demo_record(rng, today=today, name="X", photo=b"",
                                        birth_date=random_adult_birth_date(rng, today=today)).id_number,
                            today=today).age_on(today) for _ in range(20_000)}
    assert min(ages) == 18 and max(ages) == 80


def test_a_given_number_keeps_its_own_birth_date_and_sex():
    record = demo_record(random.Random(0), today=TODAY, name="Wang Fang", photo=b"p", id_number="11010519491231002x")
    assert (record.id_number, record.birth_date, record.sex) == ("11010519491231002X", date(1949, 12, 31), "F")
    assert demo_record(random.Random(0), today=TODAY, name="W", photo=b"", id_number="11010519491231002X",
                       birth_date=date(1949, 12, 31)).birth_date == date(1949, 12, 31)


def test_a_number_and_a_birth_date_that_disagree_are_refused():
    with pytest.raises(BirthDateMismatch):
        demo_record(random.Random(0), today=TODAY, name="W", photo=b"", id_number="11010519491231002X",
                    birth_date=date(1949, 12, 30))


@pytest.mark.parametrize("born", [date(1899, 12, 31), date(2026, 11, 3)])
def test_a_birth_date_outside_the_standard_is_refused(born):
    with pytest.raises(IdNumberBirthDate):
        demo_record(random.Random(0), today=TODAY, name="W", photo=b"", birth_date=born)
