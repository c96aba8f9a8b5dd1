"""Verifying the stored log end to end: entries recomputed, every head's signature checked, and
every stored subtree hash compared (a forged node would otherwise only show when a proof fails)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.audit.service import open_log
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.sth import SignedTreeHead
from civicid.audit.verify import LogVerification, verify_store
from civicid.clock import Clock
from civicid.vault.interfaces import KeyProvider


def verify_stored_log(session: Session, keys: KeyProvider, clock: Clock, *,
                      since: SignedTreeHead | None = None) -> LogVerification:
    public_key = open_log(session, keys, clock).public_key
    return verify_store(SqlLogStore(session), public_key, since=since)
