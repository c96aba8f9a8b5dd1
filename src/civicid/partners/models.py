from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base, UTCDateTime


class Partner(Base):
    """A telecom operator or platform allowed to ask "is this live person the holder of X?"."""

    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VerificationChallenge(Base):
    __tablename__ = "verification_challenges"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(sa.ForeignKey("partners.id"))
    actions: Mapped[str] = mapped_column(sa.String(64))
    nonce: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Verification(Base):
    """One answered verification, recorded against the citizen (if one matched the number)."""

    __tablename__ = "verifications"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    citizen_id: Mapped[str | None] = mapped_column(sa.String(36), index=True, nullable=True)
    result: Mapped[str] = mapped_column(sa.String(32))
    reasons: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
