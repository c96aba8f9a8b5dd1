"""The transparency log's ``LogStore`` over two tables, inside the caller's transaction, so an
event commits or rolls back together with the action it records."""

from __future__ import annotations

from typing import Collection, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.errors import AppendConflict
from civicid.audit.events import LogEvent
from civicid.audit.interfaces import StoredEntry
from civicid.audit.merkle import NodeKey
from civicid.audit.models import LogEntry, LogNode


# Any constant shared by every replica: the key of PostgreSQL's advisory lock on the log's tail.
TAIL_LOCK_KEY = 0x43495649_4C4F47  # "CIVI" "LOG"


class SqlLogStore:
    """``for_append`` stores lock the log's tail for the rest of the transaction before they read
    its size (PostgreSQL advisory lock; SQLite has a single writer anyway). Concurrent writers
    then queue instead of racing for the same index and retrying after their insert fails."""

    def __init__(self, session: Session, *, for_append: bool = False) -> None:
        self._session = session
        self._lock_tail = for_append

    def size(self) -> int:
        if self._lock_tail and self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(sa.select(sa.func.pg_advisory_xact_lock(TAIL_LOCK_KEY)))
            self._lock_tail = False
        last = self._session.scalar(sa.select(sa.func.max(LogEntry.index)))
        return 0 if last is None else last + 1

    def get_entries(self, start: int, stop: int) -> Sequence[StoredEntry]:
        rows = self._session.execute(
            sa.select(LogEntry.index, LogEntry.data, LogEntry.timestamp_ms, LogEntry.root_hash, LogEntry.signature)
            .where(LogEntry.index >= start, LogEntry.index < stop).order_by(LogEntry.index)
        ).all()
        return [StoredEntry(*row) for row in rows]

    def get_nodes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        if not keys:
            return {}
        rows = self._session.execute(
            sa.select(LogNode.level, LogNode.index, LogNode.hash)
            .where(sa.tuple_(LogNode.level, LogNode.index).in_(list(keys)))
        ).all()
        return {(level, index): digest for level, index, digest in rows}

    def append(self, entry: StoredEntry, nodes: Mapping[NodeKey, bytes]) -> None:
        event = LogEvent.from_bytes(entry.data)
        try:
            with self._session.begin_nested():
                self._session.add(LogEntry(index=entry.index, data=entry.data, timestamp_ms=entry.timestamp_ms,
                                           root_hash=entry.root_hash, signature=entry.signature,
                                           citizen_ref=event.citizen_ref, tag=str(event.tag)))
                self._session.add_all(LogNode(level=level, index=index, hash=digest)
                                      for (level, index), digest in nodes.items())
                self._session.flush()
        except sa.exc.IntegrityError as exc:
            raise AppendConflict() from exc
