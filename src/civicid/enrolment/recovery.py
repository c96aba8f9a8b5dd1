"""Account recovery: the enrolment's face verification, run again for an existing citizen.

DESIGN.md, Flows, Sign-in: "face re-verification is the recovery and step-up path". A citizen who
lost their passkey claims their ID number and name (the same registry lookup, name check, timing
floor and failure counters as enrolment — failures share one budget per ID number and client), is
given a random liveness challenge, and sends live frames that are matched 1:1 against the
registry photo. On a match the caller signs them in with ``amr`` = face, which lets them register
a new passkey (:func:`civicid.identity.passkeys.require_fresh_face`).

The recovery session stores the citizen's opaque internal id and the challenge, nothing personal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base, UTCDateTime
from civicid.enrolment.assessment import Assessment
from civicid.enrolment.frames import Frame
from civicid.enrolment.recovery_errors import NotEnrolled, RecoveryExpired, RecoveryNotFound
from civicid.audit.events import EventTag
from civicid.enrolment.models import EnrolmentSession
from civicid.enrolment.service import EnrolmentService, OpenedSession, StartedEnrolment, check_frame_limits
from civicid.face.challenge import parse_script
from civicid.identity.errors import CitizenNotFound
from civicid.identity.service import CitizenService


class RecoverySession(Base):
    __tablename__ = "recovery_sessions"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("citizens.id", ondelete="CASCADE"))
    actions: Mapped[str] = mapped_column(sa.String(64))
    nonce: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempt_ids: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


@dataclass(frozen=True, slots=True)
class RecoveryDecision:
    decision: str  # "recovered" | "rejected"
    reasons: tuple[str, ...]
    citizen_id: str | None = field(default=None, repr=False)
    assessment: Assessment | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)


UNENROLLED = "recover"
"""The state of a sealed session that recovery opened for a number without a CivicID."""


class RecoveryService(EnrolmentService):
    """Reuses the enrolment's limiter, response floor and live check unchanged; the challenge comes
    from the runtime's random source, as for enrolment."""

    flow = "recovery"

    def start(self, *, id_number: str, name: str, client: str, actions: str | None = None) -> StartedEnrolment:
        """A challenge, whether or not the number has a CivicID: only a live face that matches the
        registry photo learns that it has none (:meth:`close`). A number without a citizen gets a
        session that seals the number, as an enrolment does."""
        now = self._rt.clock.now()
        with self._floor:
            number, _ = self._claimed_record(id_number, name, client)
            citizen = CitizenService(self._session, self._vault, self._rt.clock).find_by_id_number(number)
            if citizen is None:
                return self._sealed_session(number, client, actions=actions, state=UNENROLLED)
            attempt = self._session_attempt(number, client)
            challenge = self._new_challenge(now, actions)
            session_id = str(uuid.uuid4())
            self._session.add(RecoverySession(id=session_id, citizen_id=citizen.id, actions=challenge.script,
                                              nonce=challenge.nonce, created_at=now, expires_at=challenge.expires_at,
                                              attempt_ids=attempt))
            return StartedEnrolment(session_id, challenge)

    def open(self, session_id: str, frames: Sequence[Frame]) -> OpenedSession | RecoveryDecision:
        row = self._session.get(RecoverySession, session_id, with_for_update=True)
        if row is None:
            return self._open_unenrolled(session_id, frames)
        self._delete(row)  # one submission per challenge, whatever its outcome
        if self._rt.clock.now() >= row.expires_at:
            raise RecoveryExpired()
        citizens = CitizenService(self._session, self._vault, self._rt.clock)
        try:
            number = citizens.profile(citizens.get(row.citizen_id)).id_number
        except CitizenNotFound:
            raise RecoveryNotFound() from None
        check_frame_limits(frames, settings=self._rt.settings)
        return self._opened(number, row.actions, row.attempt_ids, citizen_id=row.citizen_id)

    def _open_unenrolled(self, session_id: str, frames: Sequence[Frame]) -> OpenedSession | RecoveryDecision:
        row = self._session.get(EnrolmentSession, session_id, with_for_update=True)
        if row is None or row.state != UNENROLLED:
            raise RecoveryNotFound()
        if self._rt.clock.now() >= row.expires_at:
            self._end(row)
            raise RecoveryExpired()
        check_frame_limits(frames, settings=self._rt.settings)
        return self._opened(self._take_sealed(row), row.actions, row.attempt_ids, citizen_id=None)

    def _opened(self, number: str, script: str, attempt: str | None, *, citizen_id: str | None):
        record = self._rt.registry(self._session).lookup(number)
        if record is None or record.status != "active":
            return RecoveryDecision("rejected", ("registry.not_active",))
        actions, prompts = parse_script(script)
        return OpenedSession(number, record, actions, prompts, attempt, citizen_id=citizen_id)

    def close(self, opened: OpenedSession, assessment: Assessment, *, sign_in: bool) -> RecoveryDecision:
        """Both outcomes are in the citizen's history: a recovery grants a session that may add a
        passkey, and a failed one is someone trying to take over the identity."""
        if opened.citizen_id is None:  # no CivicID: told to the holder, proven live, alone
            if assessment.outcome != "match":
                return RecoveryDecision("rejected", assessment.reasons, assessment=assessment)
            self._release(opened.attempt)
            raise NotEnrolled()
        log = self._rt.access_log(self._session)
        if assessment.outcome != "match":
            log.record(EventTag.SYSTEM_CITIZEN_RECOVERY_FAILED, actor="system", citizen_id=opened.citizen_id,
                       purpose=f"account recovery by face refused ({', '.join(assessment.reasons)})")
            return RecoveryDecision("rejected", assessment.reasons, assessment=assessment)
        self._release(opened.attempt)
        log.record(EventTag.SYSTEM_CITIZEN_RECOVERED, actor="system", citizen_id=opened.citizen_id,
                   purpose=f"account recovery: registry photo 1:1 match (distance {assessment.distance:.3f}), "
                           "liveness; a new passkey may be registered")
        token = self._face_session(opened.citizen_id) if sign_in else None
        return RecoveryDecision("recovered", assessment.reasons, citizen_id=opened.citizen_id, assessment=assessment,
                                session_token=token)

    def _delete(self, row: RecoverySession) -> None:
        self._session.execute(sa.delete(RecoverySession).where(RecoverySession.id == row.id))
