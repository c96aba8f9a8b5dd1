from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base

BigInt = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class LogEntry(Base):
    """One leaf of the transparency log and the tree head signed for size ``index + 1``.

    ``citizen_ref`` and ``tag`` repeat what the leaf says so a citizen's history is one indexed
    query; verification never trusts them (or anything else here) — it recomputes from ``data``.
    """

    __tablename__ = "audit_entries"

    index: Mapped[int] = mapped_column("idx", BigInt, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    timestamp_ms: Mapped[int] = mapped_column(sa.BigInteger)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64))
    citizen_ref: Mapped[str] = mapped_column(sa.String(128), index=True)
    tag: Mapped[str] = mapped_column(sa.String(64), index=True)


class LogNode(Base):
    """The hash of a completed perfect subtree, written once."""

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", BigInt, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class PendingEvent(Base):
    """An event recorded in the same transaction as its action, waiting for the sequencer to give
    it an index and a signed tree head (RFC 9162's merge delay, kept to a fraction of a second)."""

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    citizen_ref: Mapped[str] = mapped_column(sa.String(128), index=True)
    recorded_ms: Mapped[int] = mapped_column(sa.BigInteger)
