from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base, UTCDateTime


class EnrolmentSession(Base):
    """A started enrolment: the claimed ID number sealed under the session's own data key
    (shredded when the session ends), the server-chosen challenge and its expiry."""

    __tablename__ = "enrolment_sessions"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    id_number_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    id_number_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    client_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    actions: Mapped[str] = mapped_column(sa.String(64))
    nonce: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(16), default="open")
    # The failed attempt this session counts against the ID number's and the client's budgets
    # until it succeeds (an abandoned session stays counted): limits.Hit.attempt_ids, comma-separated.
    attempt_ids: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class Attempt(Base):
    """One counted attempt against a rate limit (:mod:`civicid.enrolment.limits`). ``key`` is an
    HMAC of the ID number, client address, partner or official, never the value itself; ``at``
    is the database's time and ``expires_at`` when the attempt leaves every window it counts in."""

    __tablename__ = "attempts"
    __table_args__ = (sa.Index("ix_attempts_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AttemptKey(Base):
    """One row per limited key: the lock that makes counting and recording one atomic step.

    Every hit upserts this row first (INSERT ... ON CONFLICT DO UPDATE), which holds its row lock
    until the unit of work ends, so two hits on one key never count at the same time."""

    __tablename__ = "attempt_keys"

    scope: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    key: Mapped[bytes] = mapped_column(sa.LargeBinary(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DecisionReceipt(Base):
    """An enrolment or recovery decision kept for a short time for the session that asked for it,
    so a page that lost the answer (a reload, a dropped connection) can fetch it again
    (:mod:`civicid.enrolment.receipts`). ``state`` is pending while the face work runs, then
    decided or failed (a typed error). A success's sign-in token is sealed under the receipt's own
    data key (``decision:<session id>``), handed out once, then shredded; ``client_key`` is an HMAC
    of the client address that asked."""

    __tablename__ = "decision_receipts"

    session_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    flow: Mapped[str] = mapped_column(sa.String(16))
    client_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    state: Mapped[str] = mapped_column(sa.String(16))
    decision: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    reasons: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    error_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    error_status: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    error_message: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
