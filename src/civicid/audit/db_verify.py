"""Verifying the stored log end to end: entries recomputed, every head's signature checked, every
stored subtree hash compared (a forged node would otherwise only show when a proof fails), every
lookup column compared with the leaf it derives from, and every outbox row's MAC checked."""

from __future__ import annotations

from typing import Iterator

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from civicid.audit.errors import InvalidEvent
from civicid.audit.events import LogEvent
from civicid.audit.models import LogEntry, PendingEvent
from civicid.audit.outbox import PENDING_MAC_PURPOSE, OutboxRow
from civicid.audit.signing import anchor_key
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.sth import SignedTreeHead
from civicid.audit.verify import LogVerification, Problem, ProblemCode, add_problems, verify_store
from civicid.clock import Clock
from civicid.vault.interfaces import KeyProvider

BATCH = 10_000


def verify_stored_log(session: Session, keys: KeyProvider, clock: Clock, *,
                      since: SignedTreeHead | None = None) -> LogVerification:
    """:func:`verify_database` with the anchor key and outbox MAC key from the key provider
    (``clock`` is kept for the callers' signature; verification reads no time)."""
    return verify_database(session, anchor=anchor_key(keys), mac_key=keys.hmac_key(PENDING_MAC_PURPOSE), since=since)


def verify_database(session: Session, *, anchor: Ed25519PublicKey, mac_key: bytes | None,
                    since: SignedTreeHead | None = None) -> LogVerification:
    """Everything in the database checked from the pinned first log key ``anchor``: the tree and
    its heads under the stored key chain, the node hashes, the lookup columns and, given the
    provider's ``mac_key`` (an outside auditor has none), the outbox. Reads only."""
    store = SqlLogStore(session)
    result = verify_store(store, anchor, since=since, rotations=store.log_keys())
    extra = list(column_problems(session))
    if mac_key is not None:
        extra += outbox_problems(session, mac_key)
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
                              f"Entry {index}'s lookup columns (citizen_ref, tag) are not its leaf's: the entry "
                              "shows in the wrong citizen's history or the wrong auditor count.", index)
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
