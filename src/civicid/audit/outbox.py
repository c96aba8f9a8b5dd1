"""Authenticating the outbox: an event waits in ``audit_pending`` before the sequencer signs it
into the tree, and until then nothing but a MAC stops a database insider from rewriting it.

``mac = HMAC-SHA256(K, "civicid.audit.pending.v1" 0x00 || int64 recorded_ms || data)`` (RFC 2104),
``K`` the key provider's HMAC key for :data:`PENDING_MAC_PURPOSE`, which the database never holds.
A row whose MAC does not verify is never sequenced, fails the citizen's history and is reported
by ``civicid audit verify`` (``audit.pending_forged``). The row's ``id`` is only its place in the
queue and is not covered: renumbering changes the order of sequencing, nothing anyone reads.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from civicid.audit.errors import InvalidEvent
from civicid.audit.events import LogEvent

PENDING_MAC_PURPOSE = "audit.pending_mac"
_CONTEXT = b"civicid.audit.pending.v1\x00"
_INT64 = (-(1 << 63), (1 << 63) - 1)


def pending_mac(key: bytes, *, data: bytes, recorded_ms: int) -> bytes:
    message = _CONTEXT + recorded_ms.to_bytes(8, "big", signed=True) + bytes(data)
    return hmac.new(key, message, hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """An ``audit_pending`` row as read back (unvalidated: a tampered row must still load)."""

    id: int
    data: bytes
    recorded_ms: int
    mac: bytes
    citizen_ref: str | None

    def genuine(self, key: bytes) -> bool:
        """The MAC verifies and the derived ``citizen_ref`` is the leaf's. Never raises."""
        if not isinstance(self.recorded_ms, int) or not _INT64[0] <= self.recorded_ms <= _INT64[1]:
            return False
        if not isinstance(self.mac, (bytes, bytearray, memoryview)) or self.data is None:
            return False
        expected = pending_mac(key, data=bytes(self.data), recorded_ms=self.recorded_ms)
        if not hmac.compare_digest(expected, bytes(self.mac)):
            return False
        try:
            return LogEvent.from_bytes(bytes(self.data)).citizen_ref == self.citizen_ref
        except InvalidEvent:
            return False
