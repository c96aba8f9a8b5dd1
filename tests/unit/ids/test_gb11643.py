"""GB 11643-1999 parsing, driven by the vectors in tests/vectors/ids/."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from civicid.errors import CivicIDError
from civicid.ids import (
    IdNumber,
    IdNumberBirthDate,
    IdNumberCharset,
    IdNumberChecksum,
    IdNumberError,
    IdNumberLength,
    IdNumberRegion,
    Sex,
    check_character,
    normalise,
    parse_id_number,
)

VECTORS = Path(__file__).parents[2] / "vectors" / "ids"
ANNEX_A = "11010519491231002X"
TODAY = date(2025, 6, 1)


def load(name: str) -> tuple[date, list[dict[str, Any]]]:
    data = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return date.fromisoformat(data["today"]), data["vectors"]


VALID_TODAY, VALID = load("valid.json")
INVALID_TODAY, INVALID = load("invalid.json")


@pytest.mark.parametrize("vector", VALID, ids=[v["comment"][:40] for v in VALID])
def test_valid_vectors(vector: dict[str, Any]) -> None:
    parsed = parse_id_number(vector["input"], today=VALID_TODAY)
    assert parsed == IdNumber(
        value=vector["value"],
        region_code=vector["region_code"],
        birth_date=date.fromisoformat(vector["birth_date"]),
        sequence=vector["sequence"],
        sex=Sex(vector["sex"]),
    )
    assert normalise(vector["input"]) == vector["value"]


@pytest.mark.parametrize("vector", INVALID, ids=[v["comment"][:40] for v in INVALID])
def test_invalid_vectors(vector: dict[str, Any]) -> None:
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(vector["input"], today=INVALID_TODAY)
    assert caught.value.code == vector["code"]


def test_vectors_cover_every_error_code() -> None:
    errors = (IdNumberCharset, IdNumberLength, IdNumberRegion, IdNumberBirthDate, IdNumberChecksum)
    assert {v["code"] for v in INVALID} == {error.code for error in errors}


@pytest.mark.parametrize(
    "error", [IdNumberCharset, IdNumberLength, IdNumberRegion, IdNumberBirthDate, IdNumberChecksum]
)
def test_errors_are_typed_422s_with_stable_codes(error: type[IdNumberError]) -> None:
    assert issubclass(error, CivicIDError)
    assert error.status == 422
    assert error.code.startswith("id_number.")
    assert error().to_json()["error"]["code"] == error.code


@pytest.mark.parametrize("vector", INVALID, ids=[v["comment"][:40] for v in INVALID])
def test_errors_never_echo_the_number(vector: dict[str, Any]) -> None:
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(vector["input"], today=INVALID_TODAY)
    body = json.dumps(caught.value.to_json(), ensure_ascii=False)
    digits = "".join(c for c in vector["input"] if c.isdigit())
    assert len(digits) < 6 or digits not in body


def test_charset_error_names_the_position_in_the_input() -> None:
    with pytest.raises(IdNumberCharset) as caught:
        parse_id_number(" 110105-19491231002X", today=TODAY)
    assert caught.value.detail == {"position": 8}


def test_misplaced_x_position_counts_white_space() -> None:
    with pytest.raises(IdNumberCharset) as caught:
        normalise("110105 1949123100X2")
    assert caught.value.detail == {"position": 18}


def test_length_error_reports_the_length() -> None:
    with pytest.raises(IdNumberLength) as caught:
        normalise("1101 0519")
    assert caught.value.detail == {"length": 8}


@pytest.mark.parametrize("value", [None, 11010519491231002, b"11010519491231002X"])
def test_non_text_is_a_charset_error_not_a_crash(value: Any) -> None:
    with pytest.raises(IdNumberCharset):
        parse_id_number(value, today=TODAY)


@pytest.mark.parametrize(
    ("today", "ok"),
    [(date(2025, 6, 1), True), (date(2025, 5, 31), False), (datetime(2025, 6, 1, 23, 59), True)],
)
def test_birth_date_is_judged_against_the_injected_today(today: date, ok: bool) -> None:
    born_2025_06_01 = "110105202506010010"
    if ok:
        assert parse_id_number(born_2025_06_01, today=today).birth_date == date(2025, 6, 1)
    else:
        with pytest.raises(IdNumberBirthDate) as caught:
            parse_id_number(born_2025_06_01, today=today)
        assert caught.value.detail == {"reason": "in_future"}


def test_earliest_birth_date_is_policy() -> None:
    shantou_1880 = "440524188001010014"  # GB 11643-1999 Annex A
    with pytest.raises(IdNumberBirthDate) as caught:
        parse_id_number(shantou_1880, today=TODAY)
    assert caught.value.detail == {"reason": "too_early"}
    parsed = parse_id_number(shantou_1880, today=TODAY, earliest_birth_date=date(1850, 1, 1))
    assert (parsed.birth_date, parsed.sex) == (date(1880, 1, 1), Sex.MALE)


def test_not_a_date_reason() -> None:
    with pytest.raises(IdNumberBirthDate) as caught:
        parse_id_number("110105194913310021", today=TODAY)
    assert caught.value.detail == {"reason": "not_a_date"}


def test_normalise_is_idempotent_and_canonical() -> None:
    once = normalise("１１０１０５ 491231 ００２")
    assert once == ANNEX_A
    assert normalise(once) == once


def test_normalise_checks_format_only() -> None:
    # Region 00 and a wrong check character pass normalise; parse_id_number rejects them.
    assert normalise("000000194912310021") == "000000194912310021"


@pytest.mark.parametrize(
    ("sequence", "sex"), [("001", Sex.MALE), ("002", Sex.FEMALE), ("000", Sex.FEMALE), ("999", Sex.MALE)]
)
def test_sequence_parity_is_sex(sequence: str, sex: Sex) -> None:
    body = "11010519491231" + sequence
    parsed = parse_id_number(body + check_character(body), today=TODAY)
    assert (parsed.sequence, parsed.sex) == (sequence, sex)


@pytest.mark.parametrize(
    ("on", "age"),
    [(date(1967, 12, 30), 17), (date(1967, 12, 31), 18), (date(2025, 6, 1), 75)],
)
def test_age_on(on: date, age: int) -> None:
    assert parse_id_number(ANNEX_A, today=TODAY).age_on(on) == age


def test_leap_day_birthday_ages_on_first_of_march() -> None:
    leap = parse_id_number("310104200002291236", today=TODAY)
    assert leap.age_on(date(2018, 2, 28)) == 17
    assert leap.age_on(date(2018, 3, 1)) == 18


def test_result_is_frozen_and_repr_masks_the_number() -> None:
    parsed = parse_id_number(ANNEX_A, today=TODAY)
    with pytest.raises(AttributeError):
        parsed.value = "x"  # type: ignore[misc]
    assert ANNEX_A not in repr(parsed)
    assert "19491231" not in repr(parsed)
    assert parsed.check_character == "X"
