"""Prune what has expired: one function per kind of row, a batch per short unit of work.

Everything CivicID keeps for a while expires: enrolment and recovery sessions and their decision
receipts, partner
challenges, passkey ceremonies, sign-in sessions, OIDC codes, tokens and client-assertion ids,
and rate-limit attempts with their key rows. The server prunes them all periodically
(:class:`civicid.maintenance.periodic.Pruner`), an operator with ``civicid maintenance prune``;
any number of nodes may do so at once.

Expiry is judged by the database's clock (:func:`civicid.enrolment.limits.limit_clock`), so a node
whose clock runs ahead cannot delete sessions that are still live elsewhere. Enrolment sessions
are shredded, not only deleted: the data key that sealed their ID number is destroyed too.

What is kept past its own expiry, and why:

- An authorization code stays while a token issued from it (its grant) is kept, so that a replay
  of the code can still revoke them (RFC 6749 §4.1.2).
- A token stays until both its access and its refresh token have expired, revoked or not: a
  replayed refresh token of a rotated family must still revoke the family.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.enrolment.limits import limit_clock
from civicid.enrolment.models import Attempt, AttemptKey, DecisionReceipt, EnrolmentSession
from civicid.enrolment.receipts import shred_expired
from civicid.enrolment.recovery import RecoverySession
from civicid.identity.passkeys import WebAuthnCeremony
from civicid.identity.sessions import CitizenSession
from civicid.oidc.models import (OidcAuthorizationCode, OidcClientAssertion, OidcDpopProof, OidcPushedRequest,
                                 OidcToken)
from civicid.partners.models import VerificationChallenge
from civicid.vault.store import FieldVault

BATCH = 500
Expired = Callable[[sa.Table | sa.Alias, datetime], sa.ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class Pruned:
    """Rows deleted per table by one prune."""

    counts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


def _expires(table, now):
    return table.c.expires_at <= now


def _token_expired(table, now):
    return sa.and_(table.c.expires_at <= now,
                   sa.or_(table.c.refresh_expires_at.is_(None), table.c.refresh_expires_at <= now))


def _code_expired(table, now):
    tokens = OidcToken.__table__
    return sa.and_(table.c.expires_at <= now,
                   ~sa.exists().where(tokens.c.grant_id == table.c.code_hash))


#: tables pruned by a plain batched DELETE, in this order (tokens before the codes they hold)
PLAIN: tuple[tuple[sa.Table, Expired], ...] = (
    (RecoverySession.__table__, _expires),
    (VerificationChallenge.__table__, _expires),
    (WebAuthnCeremony.__table__, _expires),
    (CitizenSession.__table__, _expires),
    (OidcToken.__table__, _token_expired),
    (OidcAuthorizationCode.__table__, _code_expired),
    (OidcClientAssertion.__table__, _expires),
    (OidcDpopProof.__table__, _expires),
    (OidcPushedRequest.__table__, _expires),
    (Attempt.__table__, _expires),
    (AttemptKey.__table__, _expires),
)


def delete_expired(session: Session, table: sa.Table, expired: Expired, *, now: datetime,
                   batch: int = BATCH) -> int:
    """Delete at most ``batch`` expired rows of ``table``; returns how many went.

    The rows are chosen by a subquery (portable: no DELETE ... LIMIT) and the condition is
    checked again on the row itself, so a row that a concurrent unit of work renewed meanwhile
    (an attempt key hit again) stays."""
    key_columns = list(table.primary_key.columns)
    chosen = table.alias("chosen")
    picked = sa.select(*(chosen.c[column.name] for column in key_columns)).where(expired(chosen, now)).limit(batch)
    key = sa.tuple_(*key_columns) if len(key_columns) > 1 else key_columns[0]
    statement = sa.delete(table).where(expired(table, now), key.in_(picked))
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def prune_enrolment_sessions(session: Session, vault: FieldVault, *, now: datetime, batch: int = BATCH) -> int:
    """Shred abandoned enrolment sessions: the data key of each (``enrolment:<id>``), then the row.
    Rows another unit of work holds (a submission in progress) are skipped."""
    ids = session.scalars(sa.select(EnrolmentSession.id).where(EnrolmentSession.expires_at <= now)
                          .limit(batch).with_for_update(skip_locked=True)).all()
    for session_id in ids:
        vault.destroy(f"enrolment:{session_id}")
    if ids:
        session.execute(sa.delete(EnrolmentSession).where(EnrolmentSession.id.in_(ids))
                        .execution_options(synchronize_session=False))
    return len(ids)


def prune_decision_receipts(session: Session, vault: FieldVault, *, now: datetime, batch: int = BATCH) -> int:
    """Remove decision receipts past their 10 minutes, shredding any sign-in token still sealed."""
    return shred_expired(session, vault, now=now, batch=batch)


def prune_recovery_sessions(session: Session, *, now: datetime, batch: int = BATCH) -> int:
    return delete_expired(session, RecoverySession.__table__, _expires, now=now, batch=batch)


def prune_expired(runtime, *, batch: int = BATCH) -> Pruned:
    """Prune every table until nothing expired is left, one short transaction per batch."""
    counts: dict[str, int] = {}

    def drain(name: str, one_batch: Callable[[Session, datetime], int]) -> None:
        total = 0
        while True:
            with runtime.transaction() as session:
                now = limit_clock(runtime.clock, session).now()
                deleted = one_batch(session, now)
            total += deleted
            if deleted < batch:
                break
        counts[name] = total

    drain(EnrolmentSession.__tablename__,
          lambda session, now: prune_enrolment_sessions(session, runtime.vault(session), now=now, batch=batch))
    drain(DecisionReceipt.__tablename__,
          lambda session, now: prune_decision_receipts(session, runtime.vault(session), now=now, batch=batch))
    for table, expired in PLAIN:
        drain(table.name, lambda session, now, table=table, expired=expired:
              delete_expired(session, table, expired, now=now, batch=batch))
    return Pruned(tuple(counts.items()))


def table_sizes(session: Session) -> dict[str, int]:
    """Row counts of every table the pruner keeps bounded (for benches and ``--json``)."""
    tables = (EnrolmentSession.__table__, DecisionReceipt.__table__, *(table for table, _ in PLAIN))
    return {table.name: session.scalar(sa.select(sa.func.count()).select_from(table)) for table in tables}
