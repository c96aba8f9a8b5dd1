"""Verifying the stored log end to end: every entry recomputed, every head's signature checked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.audit.service import open_log
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.sth import SignedTreeHead
from civicid.audit.verify import LogVerification, verify_log
from civicid.clock import Clock
from civicid.vault.interfaces import KeyProvider

CHUNK = 10_000


def verify_stored_log(session: Session, keys: KeyProvider, clock: Clock, *,
                      since: SignedTreeHead | None = None) -> LogVerification:
    store = SqlLogStore(session)
    entries, heads = [], []
    start = 0
    while True:
        # Read by index ranges up to the largest stored index, so gaps (deleted rows) still show.
        batch = store.get_entries(start, start + CHUNK)
        if not batch and start >= store.size():
            break
        for entry in batch:
            entries.append(entry.data)
            heads.append(entry)
        start += CHUNK
    public_key = open_log(session, keys, clock).public_key
    return verify_log(entries, heads, public_key, since=since)
