from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from civicid.audit.errors import InvalidEvent
from civicid.audit.events import EventTag, LogEvent
from civicid.audit.merkle import leaf_hash
from tests.unit.audit.conftest import load_vectors

CASES = load_vectors("event_vectors.json")["cases"]
WHEN = datetime(2025, 1, 31, 8, 15, tzinfo=timezone.utc)


def event_from(fields: dict) -> LogEvent:
    return LogEvent(**{**fields, "occurred_at": datetime.fromisoformat(fields["occurred_at"])})


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["fields"]["tag"])
def test_canonical_bytes_and_leaf_hash_match_vectors(case):
    event = event_from(case["fields"])
    assert event.to_bytes() == case["canonical"].encode("utf-8")
    assert leaf_hash(event.to_bytes()).hex() == case["leaf_hash"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["fields"]["tag"])
def test_from_bytes_round_trips(case):
    data = case["canonical"].encode("utf-8")
    event = LogEvent.from_bytes(data)
    assert event == event_from(case["fields"])
    assert event.occurred_at.tzinfo == timezone.utc


def test_required_tags_exist_and_are_source_subject_action():
    required = {
        "partner:citizen:verify", "rp:citizen:claims_released", "rp:citizen:consent_granted",
        "rp:citizen:consent_revoked", "official:citizen:read", "official:citizen:read_refused",
        "system:official:rate_limit_alert", "citizen:self:read", "citizen:self:export",
        "citizen:self:delete", "citizen:self:rotate_network_id", "system:citizen:enrolled",
        "system:citizen:enrolment_failed", "citizen:self:passkey_added",
    }
    assert required <= {tag.value for tag in EventTag}
    for tag in EventTag:
        assert f"{tag.source}:{tag.subject}:{tag.action}" == tag.value


def test_tag_given_as_string_becomes_the_enum():
    event = LogEvent("citizen:self:export", "citizen", "c_1", "", WHEN)
    assert event.tag is EventTag.CITIZEN_SELF_EXPORT


def test_time_is_normalised_to_utc():
    local = WHEN.astimezone(timezone(timedelta(hours=8)))
    assert LogEvent(EventTag.CITIZEN_SELF_READ, "citizen", "c_1", "", local).to_bytes() == LogEvent(
        EventTag.CITIZEN_SELF_READ, "citizen", "c_1", "", WHEN
    ).to_bytes()


@pytest.mark.parametrize(
    "tag, actor, ref, purpose, when",
    [
        ("citizen:self:fly", "citizen", "c_1", "", WHEN),  # unknown tag
        (EventTag.RP_CITIZEN_CLAIMS_RELEASED, "partner:x", "c_1", "", WHEN),  # actor is not the tag's source
        (EventTag.RP_CITIZEN_CLAIMS_RELEASED, "rp:", "c_1", "", WHEN),  # no client id
        (EventTag.RP_CITIZEN_CLAIMS_RELEASED, "rp:a b", "c_1", "", WHEN),  # space in id
        (EventTag.CITIZEN_SELF_READ, "citizen:7", "c_1", "", WHEN),  # bare actors carry no id
        (EventTag.CITIZEN_SELF_READ, "citizen", "", "", WHEN),  # citizen subject needs a ref
        (EventTag.CITIZEN_SELF_READ, "citizen", "11010519491231002X", "", WHEN),  # ID number as ref
        (EventTag.CITIZEN_SELF_READ, "citizen", "c 1", "", WHEN),  # not an opaque id
        (EventTag.OFFICIAL_CITIZEN_READ, "official:9", "c_1", "   ", WHEN),  # no justification
        (EventTag.OFFICIAL_CITIZEN_READ, "official:9", "c_1", "look up 110105194912310021", WHEN),
        (EventTag.OFFICIAL_CITIZEN_READ, "official:9", "c_1", "bell\x07", WHEN),
        (EventTag.CITIZEN_SELF_READ, "citizen", "c_1", "x" * 2001, WHEN),
        (EventTag.CITIZEN_SELF_READ, "citizen", "c_1", "", datetime(2025, 1, 31, 8, 15)),  # naive
        (EventTag.CITIZEN_SELF_READ, "citizen", "c_1", "\ud800", WHEN),  # lone surrogate
    ],
)
def test_invalid_events_are_refused_with_a_typed_error(tag, actor, ref, purpose, when):
    with pytest.raises(InvalidEvent) as info:
        LogEvent(tag, actor, ref, purpose, when)
    assert info.value.code == "audit.invalid_event"


def canonical(**change) -> bytes:
    fields = {
        "actor": "citizen", "citizen_ref": "c_1", "occurred_at": "2025-01-31T08:15:00.000000Z",
        "purpose": "", "tag": "citizen:self:read", "v": 1, **change,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        canonical().replace(b'"actor":', b'"actor": '),  # whitespace
        b'{"v":1,' + canonical()[1:].replace(b',"v":1', b""),  # key order
        canonical(occurred_at="2025-01-31T08:15:00Z"),  # short time
        canonical(v=2),
        canonical(v=True),
        canonical(extra=1),
        canonical(citizen_ref=1),
    ],
)
def test_from_bytes_accepts_only_the_canonical_form(data):
    with pytest.raises(InvalidEvent):
        LogEvent.from_bytes(data)


def test_canonical_form_of_the_same_event_parses():
    assert LogEvent.from_bytes(canonical()).to_bytes() == canonical()
