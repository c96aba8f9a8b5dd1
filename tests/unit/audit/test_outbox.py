"""The outbox MAC: HMAC-SHA256 over a context string, the signed 64-bit recorded time and the leaf."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.outbox import OutboxRow, pending_mac
from tests.unit.audit.conftest import T0

KEY = bytes(range(32))
DATA = LogEvent(EventTag.CITIZEN_SELF_EXPORT, "citizen", "c_1", "export", T0).to_bytes()


def test_the_mac_is_the_documented_hmac_by_hand():
    message = b"civicid.audit.pending.v1\x00" + (1_738_310_400_000).to_bytes(8, "big") + DATA
    assert pending_mac(KEY, data=DATA, recorded_ms=1_738_310_400_000) == hmac.new(KEY, message, hashlib.sha256).digest()
    assert pending_mac(KEY, data=DATA, recorded_ms=-1)[:4] != pending_mac(KEY, data=DATA, recorded_ms=1)[:4]


def _row(**change) -> OutboxRow:
    fields = dict(id=1, data=DATA, recorded_ms=5, mac=pending_mac(KEY, data=DATA, recorded_ms=5), citizen_ref="c_1")
    return OutboxRow(**{**fields, **change})


def test_a_genuine_row_verifies():
    assert _row().genuine(KEY) is True
    assert _row(id=99).genuine(KEY) is True  # the queue position is not covered


@pytest.mark.parametrize("change", [
    {"data": DATA.replace(b"export", b"exporT")},
    {"recorded_ms": 6},
    {"mac": bytes(32)},
    {"mac": b""},
    {"mac": None},
    {"citizen_ref": "c_2"},
    {"citizen_ref": None},
    {"recorded_ms": 1 << 63},
    {"recorded_ms": "5"},
    {"data": None},
])
def test_any_change_fails_and_never_raises(change):
    assert _row(**change).genuine(KEY) is False


def test_another_key_fails():
    assert _row().genuine(bytes(32)) is False


def test_a_genuine_mac_over_bytes_that_are_not_an_event_fails():
    raw = b"not an event"
    assert OutboxRow(1, raw, 5, pending_mac(KEY, data=raw, recorded_ms=5), None).genuine(KEY) is False
