"""Structured logs: one JSON object per line, and a redaction filter that leaves no ID number,
token, network ID, full client address or SQL value in what is written."""

from __future__ import annotations

import io
import json
import logging
import random
import secrets
from datetime import date

import pytest

from civicid.audit.events import _ID_NUMBER
from civicid.identity.service import new_network_id
from civicid.ids import generate_id_number
from civicid.observability.logs import (REDACTED, REQUEST_ID, JsonFormatter, RedactingFilter, TextFormatter,
                                        logging_config, redact)

TODAY = date(2026, 11, 4)


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"civicid.test.{secrets.token_hex(4)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_a_json_line_has_the_fields_and_the_request_id():
    logger, stream = _logger(JsonFormatter())
    token = REQUEST_ID.set("00ff00ff00ff00ff")
    try:
        logger.info("enrolment decided: %s (%s)", "rejected", "liveness.action_missing:turn_right")
    finally:
        REQUEST_ID.reset(token)
    logger.warning("outside a request")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "enrolment decided: rejected (liveness.action_missing:turn_right)"
    assert first["level"] == "INFO" and first["logger"] == logger.name
    assert first["request_id"] == "00ff00ff00ff00ff" and first["ts"].endswith("Z") and "T" in first["ts"]
    assert second["request_id"] is None


def test_an_exception_is_one_line_and_redacted():
    logger, stream = _logger(JsonFormatter())
    try:
        raise ValueError("lookup of 11010519900307005X failed\nDETAIL:  Key (id)=(11010519900307005X) exists.")
    except ValueError:
        logger.exception("database error")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert "Traceback" in entry["exc"] and "ValueError" in entry["exc"]
    assert "11010519900307005X" not in lines[0] and "1101051990030700" not in lines[0]


def test_text_format_for_development():
    logger, stream = _logger(TextFormatter())
    logger.info("token=%s", "abc")
    line = stream.getvalue().strip()
    assert line.endswith(f"INFO {logger.name} [-]: token={REDACTED}") and line[:4].isdigit()


@pytest.mark.parametrize("seed", range(20))
def test_every_id_number_the_audit_log_refuses_is_redacted_also_cut_and_legacy(seed):
    rng = random.Random(seed)
    number = generate_id_number(rng, today=TODAY)
    for text in (number, number[:17], number[:6] + number[8:17], f"id={number}", f"({number})",
                 f"number {number.lower()} here"):
        out = redact(text)
        assert not _ID_NUMBER.search(out), (text, out)
        assert number[:17] not in out and number[:6] + number[8:17] not in out


def test_tokens_network_ids_and_secrets_are_redacted():
    session_token = secrets.token_urlsafe(32)
    network_id = new_network_id()
    text = (f"cookie __Host-civicid_session={session_token}; sub {network_id} "
            f"Authorization: Bearer {secrets.token_urlsafe(24)} client_secret=s3cr3t-value "
            f"refresh token {secrets.token_hex(32)}")
    out = redact(text)
    for secret in (session_token, network_id, "s3cr3t-value", text.split("Bearer ")[1].split()[0]):
        assert secret not in out
    assert out.count(REDACTED) >= 4


def test_client_addresses_are_cut_and_phone_numbers_removed():
    out = redact("from 198.51.100.7 and 2001:db8:85a3:1234::8a2e:370:7334, sim 13812345678")
    assert "198.51.100.x" in out and "198.51.100.7" not in out
    assert "2001:db8:85a3::/48" in out and "7334" not in out
    assert "13812345678" not in out


@pytest.mark.parametrize("text", [
    "Pruned 3 expired rows: enrolment_sessions 2, attempts 1",
    "enrolment decided: rejected (liveness.action_missing:turn_right, match.distance_above_threshold)",
    "citizen 6f1c2b1e-4c1a-4a8e-9d7b-2f3a4b5c6d7e at 10:00:00 took 1234567 us",
    "CivicID 0.1.0 starting (production)",
    "metric civicid_log_outbox_oldest_age_seconds is ready_max_log_outbox_age_s",
    "tree head 128 at 1762070400000",
])
def test_ordinary_lines_are_left_alone(text):
    assert redact(text) == text


def test_sqlalchemy_parameters_rows_and_error_values_are_dropped():
    logger, stream = _logger(JsonFormatter())
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    handler = logger.handlers[0]
    engine_logger.addHandler(handler)
    level, engine_logger.level = engine_logger.level, logging.DEBUG
    try:
        engine_logger.info("INSERT INTO citizens (id, network_id) VALUES (?, ?)")
        engine_logger.info("[generated in %s] %r", "0.0001s", ("c-1", "Wang Fang"))
        engine_logger.debug("Row %r", ("c-1", "Wang Fang"))
        logger.error("database error", exc_info=RuntimeError(
            "(sqlite3.IntegrityError) UNIQUE\n[SQL: INSERT INTO x VALUES (?)]\n[parameters: ('Wang Fang',)]\n"
            "(Background on this error at: https://sqlalche.me/e/20/gkpj)"))
    finally:
        engine_logger.removeHandler(handler)
        engine_logger.level = level
    written = stream.getvalue()
    assert "Wang Fang" not in written
    assert "INSERT INTO citizens" in written and "[SQL: INSERT INTO x VALUES (?)]" in written


def test_a_bad_format_string_still_logs():
    logger, stream = _logger(JsonFormatter())
    logger.info("%s %s", "only one")
    assert json.loads(stream.getvalue())["message"].startswith("%s %s")


def test_the_serve_configuration_puts_the_filter_on_the_one_handler():
    config = logging_config("json")
    assert config["root"]["handlers"] == ["stderr"]
    assert config["handlers"]["stderr"]["filters"] == ["redact"]
    assert config["formatters"]["civicid"]["()"] is JsonFormatter
    assert logging_config("text")["formatters"]["civicid"]["()"] is TextFormatter
    assert all(not logger["handlers"] for logger in config["loggers"].values())
