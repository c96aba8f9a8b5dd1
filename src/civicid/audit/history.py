"""A citizen's own history, served only after the checks a citizen would make themselves.

Every value shown is re-derived from, or checked against, the signed leaf: the head must verify
under the log key (RFC 9162 §4.10), each entry's inclusion proof must reach that head's root
(RFC 9162 §2.1.3.2), the parsed leaf must name the citizen and the tag its lookup columns say,
and each waiting outbox row must carry a valid MAC (:mod:`civicid.audit.outbox`). Any failure is
:class:`~civicid.audit.errors.LogTampered`, never a silently shorter history. The one thing this
cannot see is an entry re-pointed *away* from the citizen by first making the derived lookup
column a plain one (DDL); ``civicid audit verify`` compares every row and finds that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Collection

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.errors import InvalidEvent, LogTampered
from civicid.audit.events import LogEvent
from civicid.audit.merkle import leaf_hash
from civicid.audit.models import LogEntry, PendingEvent
from civicid.audit.outbox import OutboxRow
from civicid.audit.proofs import InclusionProof, verify_inclusion
from civicid.audit.sth import SignedTreeHead
from civicid.audit.tree import TransparencyLog

MAX_HISTORY = 1000
log = logging.getLogger("civicid.audit")


@dataclass(frozen=True, slots=True)
class HistoryItem:
    index: int
    event: LogEvent
    leaf_hash: bytes
    proof: InclusionProof


@dataclass(frozen=True, slots=True)
class History:
    head: SignedTreeHead
    items: tuple[HistoryItem, ...]  # oldest first
    pending: tuple[LogEvent, ...]
    #: entries older than ``items[0]`` (of the same tags) exist: the next page is ``before=items[0].index``
    has_older: bool = False


def _tampered(reason: str, **detail: object) -> LogTampered:
    log.error("Transparency log check failed while serving a history: %s %s", reason, detail)
    return LogTampered(**detail)


def read_history(session: Session, tree: TransparencyLog, citizen_id: str, *,
                 head_valid: Callable[[SignedTreeHead], bool], mac_key: bytes,
                 before: int | None = None, tags: Collection[str] | None = None,
                 limit: int = MAX_HISTORY, head: SignedTreeHead | None = None) -> History:
    """The newest ``limit`` entries about the citizen (at most :data:`MAX_HISTORY`) below leaf
    index ``before`` whose tag is one of ``tags`` (all when None), oldest first, each checked;
    the waiting outbox events (of those tags) only on the first page (``before`` None).
    ``head`` (checked too) pins the tree the proofs lead to, so later pages match the first."""
    head = tree.signed_tree_head() if head is None else head
    if not head_valid(head):
        raise _tampered("the latest tree head does not verify", tree_size=head.tree_size)
    limit = max(1, min(limit, MAX_HISTORY))
    end = head.tree_size if before is None else max(0, min(before, head.tree_size))
    query = (sa.select(LogEntry.index, LogEntry.data, LogEntry.citizen_ref, LogEntry.tag)
             .where(LogEntry.citizen_ref == citizen_id, LogEntry.index < end))
    if tags is not None:
        query = query.where(LogEntry.tag.in_(sorted(tags)))
    rows = session.execute(query.order_by(LogEntry.index.desc()).limit(limit + 1)).all()
    has_older = len(rows) > limit
    rows = list(reversed(rows[:limit]))
    items = []
    for index, data, citizen_ref, tag in rows:
        data = bytes(data)
        try:
            event = LogEvent.from_bytes(data)
        except InvalidEvent:
            raise _tampered("an entry is not a log event", index=index) from None
        if (event.citizen_ref, event.tag.value) != (citizen_id, tag) or citizen_ref != citizen_id:
            raise _tampered("an entry's lookup columns disagree with its leaf", index=index)
        proof = tree.inclusion_proof(index, head.tree_size)
        digest = leaf_hash(data)
        if not verify_inclusion(digest, index, head.tree_size, proof.path, head.root_hash):
            raise _tampered("an entry is not in the signed tree", index=index)
        items.append(HistoryItem(index, event, digest, proof))
    outbox = [] if before is not None else session.execute(
        sa.select(PendingEvent.id, PendingEvent.data, PendingEvent.recorded_ms, PendingEvent.mac,
                  PendingEvent.citizen_ref)
        .where(PendingEvent.citizen_ref == citizen_id).order_by(PendingEvent.id).limit(MAX_HISTORY)
    ).all()
    pending = []
    for row in outbox:
        waiting = OutboxRow(*row)
        if not waiting.genuine(mac_key):
            raise _tampered("an outbox row's MAC does not verify", pending_id=waiting.id)
        event = LogEvent.from_bytes(bytes(waiting.data))
        if tags is None or event.tag.value in tags:
            pending.append(event)
    return History(head, tuple(items), tuple(pending), has_older)
