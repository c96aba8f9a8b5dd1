"""Structured logs: one JSON object per line on stderr, with no personal data.

``civicid serve`` hands :func:`logging_config` to uvicorn, which applies it in every worker: one
stderr handler on the root logger (uvicorn's loggers propagate to it), a formatter chosen by
``CIVICID_LOG_FORMAT`` (``json``, the default in production; ``text`` elsewhere) and
:class:`RedactingFilter`. Each JSON line has ``ts`` (UTC, ISO 8601, milliseconds), ``level``,
``logger``, ``message``, ``request_id`` (set by the HTTP middleware, civicid.web.metrics; null
outside a request) and ``exc`` when an exception is logged.

CivicID's code logs no ID number, name, birth date, network ID, token or client address. The
filter is a second line of defence, for what third-party code or a future change might log:

- GB 11643 ID numbers (the 18- and 15-character forms, as ``civicid.audit.events`` refuses them
  in log purposes) and any run of 15-18 digits (a number with its check character cut);
- bearer tokens, ``token=...``/``secret=...``-style pairs, network IDs (26 base32 characters)
  and other long token-like runs of letters and digits (UUIDs, which name no one, are kept);
- IPv4 addresses cut to their /24 (``198.51.100.x``) and IPv6 addresses to their /48;
- mainland mobile numbers (11 digits, ``1[3-9]...``);
- SQLAlchemy's statement parameters and result rows (``sqlalchemy.engine`` at INFO/DEBUG) and
  the ``[parameters: ...]`` and ``DETAIL:`` parts of database errors.

Names and birth dates have no pattern a filter could find without breaking every log line; the
breach drill (tests/integration/test_breach_drill.py) checks that nothing logs them.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Literal

REQUEST_ID: ContextVar[str | None] = ContextVar("civicid_request_id", default=None)
REDACTED = "[redacted]"

_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{15,18}(?:[Xx](?![A-Za-z0-9]))?(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_BEARER = re.compile(r"\b([Bb]earer|BEARER)\s+[A-Za-z0-9._~+/=-]+|\b(Basic)\s+[A-Za-z0-9+/]{8,}=*")
_SECRET_PAIR = re.compile(
    r"(?i)\b((?:access_|refresh_|id_|session_)?token|secret|client_secret|password|passwd|cookie|"
    r"authorization|code_verifier|session|__host-[a-z_]+)(\"?'?\s*[:=]\s*[\"']?)[^\s\"'&,;)}\]]+")
_TOKENISH = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NETWORK_ID = re.compile(r"[a-z2-7]{26}")
_IPV4 = re.compile(r"(?<![0-9.])((?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){2})"
                   r"\.(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?![0-9]|\.[0-9])")
_IPV6 = re.compile(r"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Za-z:])")
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)
_SQL_DETAIL = re.compile(r"^DETAIL:.*$", re.MULTILINE)
# SQLAlchemy's engine logs a statement's parameters ("[cache stats] %r") and each result row
# ("Row %r") as records of their own, the value as the last argument.
_SQL_VALUE_SUFFIXES = ("] %r", "Row %r")


def _token(match: re.Match) -> str:
    text = match.group(0)
    if _UUID.fullmatch(text):
        return text
    if _NETWORK_ID.fullmatch(text):
        return REDACTED
    has_digit = any(c.isdigit() for c in text)
    has_alpha = any(c.isalpha() for c in text)
    return REDACTED if has_digit and has_alpha else text


def _ipv6(match: re.Match) -> str:
    text = match.group(0)
    if text.count(":") == len(text):
        return text
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return str(ipaddress.IPv6Network((address, 48), strict=False).network_address) + "/48"


def redact(text: str) -> str:
    """``text`` with the personal data patterns above replaced (idempotent)."""
    text = _SQL_PARAMETERS.sub("[parameters: " + REDACTED + "]", text)
    text = _SQL_DETAIL.sub("DETAIL: " + REDACTED, text)
    text = _BEARER.sub(lambda m: (m.group(1) or m.group(2)) + " " + REDACTED, text)
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    text = _TOKENISH.sub(_token, text)
    text = _ID_NUMBER.sub(REDACTED, text)
    text = _MOBILE.sub(REDACTED, text)
    text = _IPV4.sub(lambda m: m.group(1) + ".x", text)
    return _IPV6.sub(_ipv6, text)


class RedactingFilter(logging.Filter):
    """Rewrites every record it sees (message, exception text, stack) through :func:`redact`,
    and drops the values of SQLAlchemy's parameter and row records. Put it on the handler, so
    that it sees the records of every logger, CivicID's and third parties'."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.name.startswith("sqlalchemy.engine") and isinstance(record.msg, str) and record.args
                and record.msg.endswith(_SQL_VALUE_SUFFIXES)):
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = (*args[:-1], REDACTED)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what can be shown
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def _request_id(record: logging.LogRecord) -> str | None:
    value = getattr(record, "request_id", None)
    return value if value is not None else REQUEST_ID.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: ts, level, logger, message, request_id[, exc].
    Extra attributes of a record are not written (they are not redacted)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``2026-11-04T09:00:00.000Z INFO civicid.web [request id]: message``, for development."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds") \
            .replace("+00:00", "Z")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = _request_id(record) or "-"
        return super().format(record)


def logging_config(log_format: Literal["json", "text"], *, level: str = "INFO") -> dict:
    """A ``logging.config.dictConfig`` dictionary (as uvicorn's ``log_config`` takes it): one
    redacted stderr handler on the root logger; uvicorn's loggers propagate to it."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {"civicid": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "civicid", "filters": ["redact"]}},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }
