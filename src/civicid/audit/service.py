"""Recording accesses to citizens' data, and showing citizens their own history with proofs.

Each domain records its events through ``AccessLog.record`` in the same transaction as the action
(DESIGN.md principle 5): if the action rolls back, so does its event, and vice versa. The event
waits in ``audit_pending`` (an outbox) until ``AccessLog.sequence`` gives it an index and a signed
tree head: right after the commit (the CLI, tests) or within the server's merge delay
(:class:`civicid.audit.sequencer.LogSequencer`). Requests then never queue for the log's tail,
and a burst of events costs one tree write.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.history import HistoryItem, read_history
from civicid.audit.models import PendingEvent
from civicid.audit.outbox import PENDING_MAC_PURPOSE, OutboxRow, pending_mac
from civicid.audit.log_keys import KeyChain
from civicid.audit.signing import current_signing_key, load_chain
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.sth import SignedTreeHead
from civicid.audit.tree import TransparencyLog
from civicid.clock import Clock
from civicid.db import HotStatement
from civicid.vault.interfaces import KeyProvider

SEQUENCE_BATCH = 500
PENDING_FLAG = "civicid.audit.pending"  # in Session.info: this unit of work recorded events
_FIRST_ID = -(1 << 63)
_pending = PendingEvent.__table__
_RECORD = HotStatement(_pending.insert())
_PENDING = HotStatement(sa.select(_pending.c.id, _pending.c.data, _pending.c.recorded_ms, _pending.c.mac,
                                  _pending.c.citizen_ref)
                        .where(_pending.c.id > sa.bindparam("after")).order_by(_pending.c.id)
                        .limit(sa.bindparam("limit")))
log = logging.getLogger("civicid.audit")


def open_log(session: Session, keys: KeyProvider, clock: Clock, *, chain: KeyChain | None = None) -> TransparencyLog:
    """The stored log, signing with the current key of its (validated) key chain."""
    chain = load_chain(session, keys) if chain is None else chain
    return TransparencyLog(SqlLogStore(session), current_signing_key(keys, chain),
                           clock_ms=lambda: int(clock.now().timestamp() * 1000))


def outbox_state(session: Session) -> tuple[int, int | None]:
    """See :meth:`AccessLog.outbox` (needs no keys: an auditor's copy reports it too)."""
    count, oldest = session.execute(sa.select(sa.func.count(), sa.func.min(PendingEvent.recorded_ms))).one()
    return count, oldest


class AccessLog:
    def __init__(self, session: Session, keys: KeyProvider, clock: Clock) -> None:
        self._session = session
        self._keys = keys
        self._clock = clock
        self._log: TransparencyLog | None = None

    @property
    def log(self) -> TransparencyLog:
        """Opened on first use: recording an event needs neither the key chain nor the tree."""
        if self._log is None:
            self._log = open_log(self._session, self._keys, self._clock)
        return self._log

    def record(self, tag: EventTag, *, actor: str, citizen_id: str, purpose: str = "") -> None:
        now = self._clock.now()
        event = LogEvent(tag=tag, actor=actor, citizen_ref=citizen_id, purpose=purpose, occurred_at=now)
        data, recorded_ms = event.to_bytes(), int(now.timestamp() * 1000)
        mac = pending_mac(self._keys.hmac_key(PENDING_MAC_PURPOSE), data=data, recorded_ms=recorded_ms)
        _RECORD.run(self._session, {"data": data, "recorded_ms": recorded_ms, "mac": mac})
        self._session.info[PENDING_FLAG] = True

    def sequence(self, *, limit: int = SEQUENCE_BATCH) -> int | None:
        """Append up to ``limit`` genuine pending events to the tree, oldest first, and return how
        many; None at once if another sequencer holds the tail. Rows whose MAC does not verify stay
        where they are, never sequenced (``civicid audit verify`` reports them), and are skipped."""
        store = SqlLogStore(self._session)
        if not store.try_lock_tail():
            return None
        self._log = open_log(self._session, self._keys, self._clock)  # the key chain as of the lock
        key = self._keys.hmac_key(PENDING_MAC_PURPOSE)
        genuine: list[OutboxRow] = []
        after = _FIRST_ID
        while len(genuine) < limit:
            wanted = limit - len(genuine)
            rows = [OutboxRow(*row) for row in _PENDING.run(self._session, {"after": after, "limit": wanted}).rows]
            for row in rows:
                if row.genuine(key):
                    genuine.append(row)
                else:
                    log.error("Outbox row %s fails its MAC: written or changed outside CivicID; not sequenced", row.id)
            if len(rows) < wanted:
                break
            after = rows[-1].id
        if not genuine:
            return 0
        self.log.append_leaves([bytes(row.data) for row in genuine])
        self._session.execute(sa.delete(PendingEvent).where(PendingEvent.id.in_([row.id for row in genuine])))
        return len(genuine)

    def outbox(self) -> tuple[int, int | None]:
        """How many events wait for the sequencer, and when the oldest was recorded (ms since the
        epoch). An old one means no sequencer is running, or someone holds the tail."""
        return outbox_state(self._session)

    def history(self, citizen_id: str) -> tuple[SignedTreeHead, list[HistoryItem], list[LogEvent]]:
        """Every event about one citizen (newest last), each with its inclusion proof in the
        current signed tree head, and the events still waiting for the sequencer. The citizen can
        check every proof without trusting us, and the server checks them first
        (:mod:`civicid.audit.history`): a tampered log is ``audit.tampered``, not a shorter list."""
        chain = load_chain(self._session, self._keys)
        found = read_history(self._session, open_log(self._session, self._keys, self._clock, chain=chain), citizen_id,
                             head_valid=chain.verifies, mac_key=self._keys.hmac_key(PENDING_MAC_PURPOSE))
        return found.head, list(found.items), list(found.pending)
