"""Verifying the stored log end to end: entries recomputed, every head's signature checked, every
stored subtree hash compared (a forged node would otherwise only show when a proof fails), every
lookup column compared with the leaf it derives from, and every outbox row's MAC checked."""

from __future__ import annotations

from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.errors import InvalidEvent
from civicid.audit.events import LogEvent
from civicid.audit.models import LogEntry, PendingEvent
from civicid.audit.outbox import PENDING_MAC_PURPOSE, OutboxRow
from civicid.audit.service import open_log
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.sth import SignedTreeHead
from civicid.audit.verify import LogVerification, Problem, ProblemCode, add_problems, verify_store
from civicid.clock import Clock
from civicid.vault.interfaces import KeyProvider

BATCH = 10_000


def verify_stored_log(session: Session, keys: KeyProvider, clock: Clock, *,
                      since: SignedTreeHead | None = None) -> LogVerification:
    public_key = open_log(session, keys, clock).public_key
    result = verify_store(SqlLogStore(session), public_key, since=since)
    extra = [*column_problems(session), *outbox_problems(session, keys.hmac_key(PENDING_MAC_PURPOSE))]
    return add_problems(result, extra)


def column_problems(session: Session, *, batch_size: int = BATCH) -> Iterator[Problem]:
    """``audit.column_mismatch`` for each entry whose ``citizen_ref`` or ``tag`` is not the leaf's.
    The database derives both from the leaf, so this finds only a column made plain by DDL and
    then edited. A leaf that is not an event is already ``audit.entry_mismatch``; it is skipped."""
    after = -1
    while True:
        rows = session.execute(
            sa.select(LogEntry.index, LogEntry.data, LogEntry.citizen_ref, LogEntry.tag)
            .where(LogEntry.index > after).order_by(LogEntry.index).limit(batch_size)
        ).all()
        for index, data, citizen_ref, tag in rows:
            try:
                event = LogEvent.from_bytes(bytes(data))
            except InvalidEvent:
                continue
            if (citizen_ref, tag) != (event.citizen_ref, event.tag.value):
                yield Problem(ProblemCode.COLUMN_MISMATCH,
                              f"Entry {index}'s lookup columns (citizen_ref, tag) are not its leaf's: the entry shows in "
                              "the wrong citizen's history or the wrong auditor count.", index)
        if len(rows) < batch_size:
            return
        after = rows[-1][0]


def outbox_problems(session: Session, mac_key: bytes, *, batch_size: int = BATCH) -> Iterator[Problem]:
    """``audit.pending_forged`` for each outbox row whose MAC does not verify or whose derived
    ``citizen_ref`` is not its leaf's (pinned to no entry: it is not in the tree)."""
    after = -(1 << 63)
    while True:
        rows = session.execute(
            sa.select(PendingEvent.id, PendingEvent.data, PendingEvent.recorded_ms, PendingEvent.mac,
                      PendingEvent.citizen_ref)
            .where(PendingEvent.id > after).order_by(PendingEvent.id).limit(batch_size)
        ).all()
        for row in rows:
            waiting = OutboxRow(*row)
            if not waiting.genuine(mac_key):
                yield Problem(ProblemCode.PENDING_FORGED,
                              f"Outbox row {waiting.id} fails its MAC: written or changed outside CivicID (or left "
                              "from before migration 0007); it is never sequenced.")
        if len(rows) < batch_size:
            return
        after = rows[-1][0]
