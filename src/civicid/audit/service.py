"""Recording accesses to citizens' data, and showing citizens their own history with proofs.

Each domain records its events through ``AccessLog.record`` in the same transaction as the action
(DESIGN.md principle 5): if the action rolls back, so does its log entry, and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.merkle import leaf_hash
from civicid.audit.models import LogEntry
from civicid.audit.proofs import InclusionProof
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.sth import SignedTreeHead
from civicid.audit.tree import AppendResult, TransparencyLog
from civicid.clock import Clock
from civicid.vault.interfaces import KeyProvider

LOG_KEY_PURPOSE = "transparency_log"
MAX_HISTORY = 1000


@dataclass(frozen=True, slots=True)
class HistoryItem:
    index: int
    event: LogEvent
    leaf_hash: bytes
    proof: InclusionProof


def open_log(session: Session, keys: KeyProvider, clock: Clock, *, for_append: bool = False) -> TransparencyLog:
    return TransparencyLog(SqlLogStore(session, for_append=for_append), keys.signing_key(LOG_KEY_PURPOSE),
                           clock_ms=lambda: int(clock.now().timestamp() * 1000))


class AccessLog:
    def __init__(self, session: Session, keys: KeyProvider, clock: Clock) -> None:
        self._session = session
        self._clock = clock
        self.log = open_log(session, keys, clock, for_append=True)

    def record(self, tag: EventTag, *, actor: str, citizen_id: str, purpose: str = "") -> AppendResult:
        event = LogEvent(tag=tag, actor=actor, citizen_ref=citizen_id, purpose=purpose,
                         occurred_at=self._clock.now())
        return self.log.append(event)

    def history(self, citizen_id: str) -> tuple[SignedTreeHead, list[HistoryItem]]:
        """Every event about one citizen (newest last), each with its inclusion proof in the
        current signed tree head. The citizen can check every proof without trusting us."""
        head = self.log.signed_tree_head()
        rows = self._session.execute(
            sa.select(LogEntry.index, LogEntry.data).where(LogEntry.citizen_ref == citizen_id,
                                                           LogEntry.index < head.tree_size)
            .order_by(LogEntry.index).limit(MAX_HISTORY)
        ).all()
        items = [HistoryItem(index, LogEvent.from_bytes(data), leaf_hash(data),
                             self.log.inclusion_proof(index, head.tree_size)) for index, data in rows]
        return head, items
