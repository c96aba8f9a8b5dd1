"""What goes into the transparency log: typed event tags and the canonical bytes of an event.

Every read or disclosure of a citizen's data is one :class:`LogEvent`; its canonical encoding
(:meth:`LogEvent.to_bytes`) is the Merkle leaf ``d`` of RFC 9162 §2.1.1. The encoding is the
JSON Canonicalization Scheme (RFC 8785) restricted to the values used here, so a browser can
rebuild the exact leaf from the fields with ``JSON.stringify`` over sorted keys::

    {"actor":"rp:shop-42","citizen_ref":"c_9f2…","occurred_at":"2025-01-31T08:15:00.000000Z",
     "purpose":"","tag":"rp:citizen:claims_released","v":1}

i.e. keys sorted, no whitespace, UTF-8, ``occurred_at`` in UTC with exactly six fractional digits.

Inclusion proofs hand a citizen the hashes of neighbouring leaves, so an event must not be
guessable from its hash: ``citizen_ref`` is the citizen's opaque random internal id, never a
name, ID number or sequential counter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from civicid.audit.errors import InvalidEvent

ENCODING_VERSION = 1
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_FIELDS = frozenset({"v", "tag", "actor", "citizen_ref", "purpose", "occurred_at"})

MAX_ACTOR_ID = 200
MAX_CITIZEN_REF = 128
MAX_PURPOSE = 2000

_TOKEN = re.compile(r"[\x21-\x7e]+")
# C0 controls (except tab and newline) and DEL have no place in a justification.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# GB 11643-1999 citizen ID numbers (18 characters) and the legacy 15-digit form: personal data.
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


class EventTag(StrEnum):
    """``source:subject:action`` tags, in the manner of warehouse's ``events/tags.py``."""

    PARTNER_CITIZEN_VERIFY = "partner:citizen:verify"
    PARTNER_CITIZEN_VERIFY_REFUSED = "partner:citizen:verify_refused"
    RP_CITIZEN_CLAIMS_RELEASED = "rp:citizen:claims_released"
    RP_CITIZEN_CONSENT_GRANTED = "rp:citizen:consent_granted"
    RP_CITIZEN_CONSENT_REVOKED = "rp:citizen:consent_revoked"
    OFFICIAL_CITIZEN_READ = "official:citizen:read"
    OFFICIAL_CITIZEN_READ_REFUSED = "official:citizen:read_refused"
    SYSTEM_OFFICIAL_RATE_LIMIT_ALERT = "system:official:rate_limit_alert"
    CITIZEN_SELF_READ = "citizen:self:read"
    CITIZEN_SELF_EXPORT = "citizen:self:export"
    CITIZEN_SELF_DELETE = "citizen:self:delete"
    CITIZEN_SELF_ROTATE_NETWORK_ID = "citizen:self:rotate_network_id"
    CITIZEN_SELF_PASSKEY_ADDED = "citizen:self:passkey_added"
    SYSTEM_CITIZEN_ENROLLED = "system:citizen:enrolled"
    SYSTEM_CITIZEN_ENROLMENT_FAILED = "system:citizen:enrolment_failed"
    SYSTEM_CITIZEN_RECOVERED = "system:citizen:recovered"
    SYSTEM_CITIZEN_RECOVERY_FAILED = "system:citizen:recovery_failed"

    @property
    def source(self) -> str:
        return self.value.split(":")[0]

    @property
    def subject(self) -> str:
        return self.value.split(":")[1]

    @property
    def action(self) -> str:
        return self.value.split(":")[2]


# Sources whose actor carries an identifier ("partner:<id>"); the others are bare words.
_IDENTIFIED_SOURCES = frozenset({"partner", "official", "rp"})


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One access to or disclosure of a citizen's data.

    ``actor`` must name the tag's source: ``partner:<id>``, ``official:<id>``, ``rp:<client_id>``,
    ``citizen`` or ``system``. ``citizen_ref`` may be empty only when the subject is an official
    (``system:official:rate_limit_alert``). ``occurred_at`` must be timezone-aware; it is stored in
    UTC at microsecond precision.
    """

    tag: EventTag
    actor: str
    citizen_ref: str
    purpose: str
    occurred_at: datetime

    def __post_init__(self) -> None:
        try:
            tag = EventTag(self.tag)
        except ValueError:
            raise InvalidEvent(f"Unknown event tag {self.tag!r}.") from None
        object.__setattr__(self, "tag", tag)
        _check_actor(tag, self.actor)
        _check_citizen_ref(tag, self.citizen_ref)
        _check_purpose(tag, self.purpose)
        if not isinstance(self.occurred_at, datetime) or self.occurred_at.utcoffset() is None:
            raise InvalidEvent("occurred_at must be a timezone-aware datetime.")
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(timezone.utc))

    def as_dict(self) -> dict[str, Any]:
        return {
            "v": ENCODING_VERSION,
            "tag": self.tag.value,
            "actor": self.actor,
            "citizen_ref": self.citizen_ref,
            "purpose": self.purpose,
            "occurred_at": self.occurred_at.strftime(_TIME_FORMAT),
        }

    def to_bytes(self) -> bytes:
        """The canonical leaf bytes (RFC 8785 style JSON, sorted keys, UTF-8)."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> LogEvent:
        """Parse leaf bytes; only the canonical encoding is accepted, so one event has one leaf."""
        try:
            obj = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidEvent("The log entry is not UTF-8 JSON.") from None
        if not isinstance(obj, dict) or set(obj) != _FIELDS:
            raise InvalidEvent(f"The log entry must have exactly the fields {sorted(_FIELDS)}.")
        if obj["v"] != ENCODING_VERSION or isinstance(obj["v"], bool):
            raise InvalidEvent(f"Unsupported log entry version {obj['v']!r}.")
        for key in ("tag", "actor", "citizen_ref", "purpose", "occurred_at"):
            if not isinstance(obj[key], str):
                raise InvalidEvent(f"'{key}' must be a string.")
        try:
            occurred = datetime.strptime(obj["occurred_at"], _TIME_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            raise InvalidEvent("occurred_at must look like 2025-01-31T08:15:00.000000Z.") from None
        event = cls(
            tag=obj["tag"],
            actor=obj["actor"],
            citizen_ref=obj["citizen_ref"],
            purpose=obj["purpose"],
            occurred_at=occurred,
        )
        if event.to_bytes() != data:
            raise InvalidEvent("The log entry is not in canonical form.")
        return event


def _check_actor(tag: EventTag, actor: object) -> None:
    if not isinstance(actor, str):
        raise InvalidEvent("actor must be a string.")
    kind, sep, ident = actor.partition(":")
    if kind != tag.source:
        raise InvalidEvent(f"A {tag.value} event must be recorded by a '{tag.source}' actor, not {actor!r}.")
    if kind in _IDENTIFIED_SOURCES:
        if not sep or not _TOKEN.fullmatch(ident) or len(ident) > MAX_ACTOR_ID:
            raise InvalidEvent(f"actor must look like '{kind}:<id>' (printable ASCII, no spaces).")
    elif sep:
        raise InvalidEvent(f"actor must be exactly '{kind}'.")


def _check_citizen_ref(tag: EventTag, ref: object) -> None:
    if not isinstance(ref, str):
        raise InvalidEvent("citizen_ref must be a string.")
    if not ref:
        if tag.subject != "official":
            raise InvalidEvent(f"A {tag.value} event needs the citizen's internal id.")
        return
    if len(ref) > MAX_CITIZEN_REF or not _TOKEN.fullmatch(ref):
        raise InvalidEvent("citizen_ref must be an opaque id (printable ASCII, no spaces).")
    if _ID_NUMBER.search(ref):
        raise InvalidEvent("citizen_ref looks like a national ID number; log the internal id instead.")


def _check_purpose(tag: EventTag, purpose: object) -> None:
    if not isinstance(purpose, str):
        raise InvalidEvent("purpose must be a string.")
    if len(purpose) > MAX_PURPOSE:
        raise InvalidEvent(f"purpose is limited to {MAX_PURPOSE} characters.")
    if _CONTROL.search(purpose):
        raise InvalidEvent("purpose must not contain control characters.")
    if _ID_NUMBER.search(purpose):
        raise InvalidEvent("purpose must not contain a national ID number.")
    try:
        purpose.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent("purpose must be valid Unicode text.") from None
    if tag is EventTag.OFFICIAL_CITIZEN_READ and not purpose.strip():
        raise InvalidEvent("An official's read must carry its written justification.")
