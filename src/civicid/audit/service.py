"""Recording accesses to citizens' data, and showing citizens their own history with proofs.

Each domain records its events through ``AccessLog.record`` in the same transaction as the action
(DESIGN.md principle 5): if the action rolls back, so does its event, and vice versa. The event
waits in ``audit_pending`` (an outbox) until ``AccessLog.sequence`` gives it an index and a signed
tree head: right after the commit (the CLI, tests) or within the server's merge delay
(:class:`civicid.audit.sequencer.LogSequencer`). Requests then never queue for the log's tail,
and a burst of events costs one tree write.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.merkle import leaf_hash
from civicid.audit.models import LogEntry, PendingEvent
from civicid.audit.proofs import InclusionProof
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.sth import SignedTreeHead
from civicid.audit.tree import TransparencyLog
from civicid.clock import Clock
from civicid.db import HotStatement
from civicid.vault.interfaces import KeyProvider

LOG_KEY_PURPOSE = "transparency_log"
MAX_HISTORY = 1000
SEQUENCE_BATCH = 500
PENDING_FLAG = "civicid.audit.pending"  # in Session.info: this unit of work recorded events
_pending = PendingEvent.__table__
_RECORD = HotStatement(_pending.insert())
_PENDING = HotStatement(sa.select(_pending.c.id, _pending.c.data).order_by(_pending.c.id)
                        .limit(sa.bindparam("limit")))


@dataclass(frozen=True, slots=True)
class HistoryItem:
    index: int
    event: LogEvent
    leaf_hash: bytes
    proof: InclusionProof


def open_log(session: Session, keys: KeyProvider, clock: Clock) -> TransparencyLog:
    return TransparencyLog(SqlLogStore(session), keys.signing_key(LOG_KEY_PURPOSE),
                           clock_ms=lambda: int(clock.now().timestamp() * 1000))


class AccessLog:
    def __init__(self, session: Session, keys: KeyProvider, clock: Clock) -> None:
        self._session = session
        self._clock = clock
        self.log = open_log(session, keys, clock)

    def record(self, tag: EventTag, *, actor: str, citizen_id: str, purpose: str = "") -> None:
        now = self._clock.now()
        event = LogEvent(tag=tag, actor=actor, citizen_ref=citizen_id, purpose=purpose, occurred_at=now)
        _RECORD.run(self._session, {"data": event.to_bytes(), "citizen_ref": citizen_id,
                                        "recorded_ms": int(now.timestamp() * 1000)})
        self._session.info[PENDING_FLAG] = True

    def sequence(self, *, limit: int = SEQUENCE_BATCH) -> int | None:
        """Append up to ``limit`` pending events to the tree, oldest first, and return how many;
        None at once if another sequencer holds the tail."""
        store = SqlLogStore(self._session)
        if not store.try_lock_tail():
            return None
        pending = _PENDING.run(self._session, {"limit": limit}).rows
        if not pending:
            return 0
        self.log.append_leaves([data for _, data in pending])
        self._session.execute(sa.delete(PendingEvent).where(PendingEvent.id.in_([id_ for id_, _ in pending])))
        return len(pending)

    def outbox(self) -> tuple[int, int | None]:
        """How many events wait for the sequencer, and when the oldest was recorded (ms since the
        epoch). An old one means no sequencer is running, or someone holds the tail."""
        count, oldest = self._session.execute(
            sa.select(sa.func.count(), sa.func.min(PendingEvent.recorded_ms))).one()
        return count, oldest

    def history(self, citizen_id: str) -> tuple[SignedTreeHead, list[HistoryItem], list[LogEvent]]:
        """Every event about one citizen (newest last), each with its inclusion proof in the
        current signed tree head, and the events still waiting for the sequencer. The citizen can
        check every proof without trusting us."""
        head = self.log.signed_tree_head()
        rows = self._session.execute(
            sa.select(LogEntry.index, LogEntry.data).where(LogEntry.citizen_ref == citizen_id,
                                                           LogEntry.index < head.tree_size)
            .order_by(LogEntry.index).limit(MAX_HISTORY)
        ).all()
        items = [HistoryItem(index, LogEvent.from_bytes(data), leaf_hash(data),
                             self.log.inclusion_proof(index, head.tree_size)) for index, data in rows]
        pending = self._session.scalars(
            sa.select(PendingEvent.data).where(PendingEvent.citizen_ref == citizen_id)
            .order_by(PendingEvent.id).limit(MAX_HISTORY)).all()
        return head, items, [LogEvent.from_bytes(data) for data in pending]
