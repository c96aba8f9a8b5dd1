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


class Attempt(Base):
    """A counted attempt for rate limiting. ``key`` is an HMAC of the ID number or client address."""

    __tablename__ = "attempts"
    __table_args__ = (sa.Index("ix_attempts_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    failed: Mapped[bool] = mapped_column(sa.Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
