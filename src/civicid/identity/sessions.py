"""Signed-in citizen sessions: a random cookie token, stored only as its SHA-256.

Created by a passkey sign-in (or face recovery); read by the OIDC provider to know who is at the
browser, how they authenticated (``amr``, RFC 8176) and when (``auth_time``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicid.clock import Clock
from civicid.db import Base, HotStatement, UTCDateTime

COOKIE_NAME = "civicid_session"


class CitizenSession(Base):
    __tablename__ = "citizen_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    amr: Mapped[str] = mapped_column(sa.String(64))
    acr: Mapped[str] = mapped_column(sa.String(64))
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # pruned (civicid.maintenance)


@dataclass(frozen=True, slots=True)
class SignedIn:
    citizen_id: str
    amr: tuple[str, ...]
    acr: str
    auth_time: datetime


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """One of the citizen's signed-in sessions, as shown to them: never the token or its hash.
    ``id`` (:func:`public_session_id`) names it for "sign out this session"."""

    amr: tuple[str, ...]
    acr: str
    auth_time: datetime
    expires_at: datetime
    current: bool
    id: str = ""

    def to_json(self) -> dict:
        return {"id": self.id, "amr": list(self.amr), "acr": self.acr, "auth_time": self.auth_time.isoformat(),
                "expires_at": self.expires_at.isoformat(), "current": self.current}


PUBLIC_ID_CONTEXT = b"civicid.session.public_id\x00"
PUBLIC_ID_LENGTH = 22  # base64url of 16 bytes


def public_session_id(token_hash: str) -> str:
    """The id a session is shown under: SHA-256 of a context string and the row's key (itself the
    SHA-256 of the 256-bit random token), cut to 128 bits. Not the row's key, so a page or a log
    that shows it gives nothing to look the session up with, and not an RP's ``sid`` (those are
    keyed per client)."""
    digest = hashlib.sha256(PUBLIC_ID_CONTEXT + token_hash.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def public_id_of_token(token: str | None) -> str | None:
    """The public id of the session whose cookie token is ``token``."""
    return public_session_id(_hash(token)) if token else None


# The sign-in statements, on the table (not the ORM), built once.
_INSERT = HotStatement(CitizenSession.__table__.insert())
_BY_TOKEN = HotStatement(
    sa.select(CitizenSession.citizen_id, CitizenSession.amr, CitizenSession.acr, CitizenSession.auth_time,
              CitizenSession.expires_at)
    .where(CitizenSession.token_hash == sa.bindparam("token_hash")))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class SignInSessions:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def create(self, citizen_id: str, *, amr: tuple[str, ...], acr: str, ttl: timedelta = timedelta(hours=8)) -> str:
        """Start a session; returns the cookie token (shown to the browser only)."""
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        _INSERT.run(self._session, {"token_hash": _hash(token), "citizen_id": citizen_id, "amr": ",".join(amr),
                                        "acr": acr, "auth_time": now, "expires_at": now + ttl})
        return token

    def resolve(self, token: str | None) -> SignedIn | None:
        if not token or len(token) > 128:
            return None
        row = _BY_TOKEN.run(self._session, {"token_hash": _hash(token)}).one_or_none()
        if row is None or row.expires_at <= self._clock.now():
            return None
        return SignedIn(row.citizen_id, tuple(filter(None, row.amr.split(","))), row.acr, row.auth_time)

    def list_for(self, citizen_id: str, *, current_token: str | None = None) -> tuple[ActiveSession, ...]:
        """The citizen's unexpired sessions, newest first; ``current`` marks the one of ``current_token``."""
        current = _hash(current_token) if current_token else None
        rows = self._session.execute(
            sa.select(CitizenSession).where(CitizenSession.citizen_id == citizen_id,
                                            CitizenSession.expires_at > self._clock.now())
            .order_by(CitizenSession.auth_time.desc())).scalars()
        return tuple(ActiveSession(tuple(filter(None, row.amr.split(","))), row.acr, row.auth_time, row.expires_at,
                                   row.token_hash == current, public_session_id(row.token_hash)) for row in rows)

    def key_of(self, citizen_id: str, public_id: str) -> str | None:
        """The row key (token hash) of the citizen's unexpired session shown as ``public_id``, or
        None: another citizen's session, an ended one and a made-up id all look the same."""
        if not isinstance(public_id, str) or len(public_id) != PUBLIC_ID_LENGTH:
            return None
        keys = self._session.scalars(sa.select(CitizenSession.token_hash).where(
            CitizenSession.citizen_id == citizen_id, CitizenSession.expires_at > self._clock.now()))
        return next((key for key in keys if hmac.compare_digest(public_session_id(key), public_id)), None)

    def keys_of(self, citizen_id: str) -> list[str]:
        return list(self._session.scalars(sa.select(CitizenSession.token_hash)
                                          .where(CitizenSession.citizen_id == citizen_id)))

    def end_key(self, token_hash: str) -> None:
        self._session.execute(sa.delete(CitizenSession).where(CitizenSession.token_hash == token_hash))

    def end(self, token: str | None) -> None:
        if token:
            self._session.execute(sa.delete(CitizenSession).where(CitizenSession.token_hash == _hash(token)))

    def end_all(self, citizen_id: str) -> None:
        self._session.execute(sa.delete(CitizenSession).where(CitizenSession.citizen_id == citizen_id))
