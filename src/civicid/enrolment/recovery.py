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
from civicid.enrolment.service import EnrolmentService, StartedEnrolment, check_frame_limits
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


@dataclass(frozen=True, slots=True)
class RecoveryDecision:
    decision: str  # "recovered" | "rejected"
    reasons: tuple[str, ...]
    citizen_id: str | None = field(default=None, repr=False)
    assessment: Assessment | None = field(default=None, repr=False)


class RecoveryService(EnrolmentService):
    """Reuses the enrolment's limiter, response floor and live check unchanged; the challenge comes
    from the runtime's random source, as for enrolment."""

    def start(self, *, id_number: str, name: str, client: str, actions: str | None = None) -> StartedEnrolment:
        now = self._rt.clock.now()
        number, _ = self._claimed_record(id_number, name, client)
        citizen = CitizenService(self._session, self._vault, self._rt.clock).find_by_id_number(number)
        if citizen is None:
            raise NotEnrolled()

        challenge = self._new_challenge(now, actions)
        session_id = str(uuid.uuid4())
        self._session.add(RecoverySession(id=session_id, citizen_id=citizen.id, actions=challenge.script,
                                          nonce=challenge.nonce, created_at=now, expires_at=challenge.expires_at))
        return StartedEnrolment(session_id, challenge)

    def submit(self, session_id: str, frames: Sequence[Frame], *, client: str) -> RecoveryDecision:
        row = self._session.get(RecoverySession, session_id, with_for_update=True)
        if row is None:
            raise RecoveryNotFound()
        self._delete(row)  # one submission per challenge, whatever its outcome
        if self._rt.clock.now() >= row.expires_at:
            raise RecoveryExpired()
        citizens = CitizenService(self._session, self._vault, self._rt.clock)
        try:
            number = citizens.profile(citizens.get(row.citizen_id)).id_number
        except CitizenNotFound:
            raise RecoveryNotFound() from None
        self._check_limits(number, client)
        check_frame_limits(frames, settings=self._rt.settings)

        record = self._rt.registry(self._session).lookup(number)
        if record is None or record.status != "active":
            self._count_failure(number, client)
            return RecoveryDecision("rejected", ("registry.not_active",))
        actions, prompts = parse_script(row.actions)
        assessment = self._rt.live_check().assess(frames, actions=actions, reference=record.photo, prompts_ms=prompts)
        if assessment.outcome != "match":
            self._count_failure(number, client)
            return RecoveryDecision("rejected", assessment.reasons, assessment=assessment)
        self._limiter.record("enrol_id", number, failed=False)
        return RecoveryDecision("recovered", assessment.reasons, citizen_id=row.citizen_id, assessment=assessment)

    def _delete(self, row: RecoverySession) -> None:
        self._session.execute(sa.delete(RecoverySession).where(RecoverySession.id == row.id))
