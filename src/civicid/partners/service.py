"""The verification API for telecoms and platforms: "is this live person the holder of X?".

The answer is match / no_match / liveness_failed / not_found_or_mismatch with reason codes and a
verification id; no personal data is ever returned. Every answered verification is recorded
against the citizen holding the number, if there is one, and so is every refused one.

A verification is two short units of work around the face work, which runs with no transaction
open (:func:`civicid.partners.verification.verify`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag
from civicid.enrolment.assessment import Assessment
from civicid.enrolment.frames import Frame
from civicid.enrolment.limits import AttemptLimiter, Limit
from civicid.enrolment.service import check_frame_limits
from civicid.face.challenge import Action, Challenge, new_challenge, parse_script
from civicid.identity.service import CitizenService
from civicid.ids import parse_id_number
from civicid.partners.credentials import hash_secret, new_client_id, new_secret, secret_matches
from civicid.partners.errors import ChallengeInvalid, PartnerAuthFailed, PartnerRateLimited
from civicid.partners.models import Partner, Verification, VerificationChallenge
from civicid.registry.names import normalise_name
from civicid.runtime import Runtime

# Compared against when the client id is unknown, so both failures cost the same.
_DUMMY_HASH = hash_secret("civicid-no-such-partner")


@dataclass(frozen=True, slots=True)
class NewPartner:
    partner_id: str
    name: str
    client_id: str
    secret: str  # shown once, never stored

    def __repr__(self) -> str:
        return f"NewPartner(name={self.name!r}, client_id={self.client_id!r})"


@dataclass(frozen=True, slots=True)
class VerificationResult:
    verification_id: str
    result: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpenedVerification:
    """What the face work needs, read in the first unit of work; nothing stays open meanwhile."""

    partner_id: str
    partner_name: str
    citizen_id: str | None = field(repr=False)
    actions: tuple[Action, ...]
    reference: bytes = field(repr=False)
    prompts_ms: tuple[int, ...] | None = None


class PartnerService:
    """Every request of a partner counts against ``partner_requests_per_minute`` (a challenge and
    a verification are two), and every verification against ``partner_requests_per_id_per_hour``
    of its ID number; both are atomic (civicid.enrolment.limits) and counted before any work."""

    def __init__(self, runtime: Runtime, session: Session) -> None:
        self._rt = runtime
        self._session = session
        self._limiter = AttemptLimiter.for_runtime(runtime, session)

    def register(self, name: str) -> NewPartner:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise ValueError("a partner name has 1 to 200 characters")
        partner = Partner(id=str(uuid.uuid4()), name=name, client_id=new_client_id(), secret_hash="",
                          active=True, created_at=self._rt.clock.now())
        secret = new_secret()
        partner.secret_hash = hash_secret(secret)
        self._session.add(partner)
        self._session.flush()
        return NewPartner(partner.id, name, partner.client_id, secret)

    def authenticate(self, client_id: str, secret: str) -> Partner:
        partner = self._session.scalar(sa.select(Partner).where(Partner.client_id == client_id[:64]))
        ok = secret_matches(secret, partner.secret_hash if partner else _DUMMY_HASH)
        if partner is None or not ok or not partner.active:
            raise PartnerAuthFailed()
        return partner

    def active_partner(self, partner_id: str) -> Partner:
        """The partner authenticated a moment ago, if still active."""
        partner = self._session.get(Partner, partner_id)
        if partner is None or not partner.active:
            raise PartnerAuthFailed()
        return partner

    def new_challenge(self, partner: Partner) -> tuple[str, Challenge]:
        self._limiter.hit_all(self._per_minute(partner))
        challenge = new_challenge(self._rt.random, now=self._rt.clock.now(),
                                  ttl_s=self._rt.settings.enrolment_ttl_s, pinned=self._rt.settings.test_challenge)
        challenge_id = str(uuid.uuid4())
        self._session.add(VerificationChallenge(id=challenge_id, partner_id=partner.id,
                                                actions=challenge.script, nonce=challenge.nonce,
                                                expires_at=challenge.expires_at, used=False))
        return challenge_id, challenge

    def open_verification(self, partner: Partner, *, challenge_id: str, id_number: str, name: str,
                          frames: Sequence[Frame]) -> OpenedVerification | VerificationResult:
        """Count the request, use up the challenge and look the number up: the answer when no
        face work is needed, else what the face work needs. A refused request (over a limit, or
        with a challenge that is not this partner's to use) is in the citizen's history."""
        now = self._rt.clock.now()
        number = parse_id_number(id_number, today=now.date()).value
        citizen = self._citizens().find_by_id_number(number)
        try:
            self._limiter.hit_all(self._per_minute(partner), Limit(
                "verify_id", number, self._rt.settings.partner_requests_per_id_per_hour, timedelta(hours=1),
                PartnerRateLimited))
            actions, prompts = self._take_challenge(partner, challenge_id[:36], now=now)
        except (PartnerRateLimited, ChallengeInvalid) as refused:
            if citizen is not None:
                self._rt.access_log(self._session).record(
                    EventTag.PARTNER_CITIZEN_VERIFY_REFUSED, actor=f"partner:{partner.id}", citizen_id=citizen.id,
                    purpose=f"{partner.name}: identity verification refused ({refused.code})")
            raise
        check_frame_limits(frames, settings=self._rt.settings)
        record = self._rt.registry(self._session).lookup(number)
        citizen_id = citizen.id if citizen else None
        if record is None or record.status != "active" or normalise_name(name) != normalise_name(record.name):
            return self._record(partner.id, partner.name, citizen_id, "not_found_or_mismatch",
                                ("registry.not_found_or_mismatch",))
        return OpenedVerification(partner.id, partner.name, citizen_id, actions, record.photo, prompts)

    def close_verification(self, opened: OpenedVerification, assessment: Assessment) -> VerificationResult:
        """Record the face work's answer (and show it in the citizen's history)."""
        result = {"match": "match", "no_match": "no_match"}.get(assessment.outcome, "liveness_failed")
        return self._record(opened.partner_id, opened.partner_name, opened.citizen_id, result, assessment.reasons)

    def _take_challenge(self, partner: Partner, challenge_id: str, *,
                        now) -> tuple[tuple[Action, ...], tuple[int, ...] | None]:
        """Single use: one UPDATE ... RETURNING takes it, so of two concurrent requests one wins."""
        table = VerificationChallenge.__table__
        actions = self._session.execute(
            table.update().where(table.c.id == challenge_id, table.c.partner_id == partner.id,
                                 table.c.used.is_(False), table.c.expires_at > now)
            .values(used=True).returning(table.c.actions)).scalar_one_or_none()
        if actions is None:
            raise ChallengeInvalid()
        return parse_script(actions)

    def _record(self, partner_id: str, partner_name: str, citizen_id: str | None, result: str,
                reasons: tuple[str, ...]) -> VerificationResult:
        verification = Verification(id=str(uuid.uuid4()), partner_id=partner_id, citizen_id=citizen_id,
                                    result=result, reasons=json.dumps(list(reasons)), created_at=self._rt.clock.now())
        self._session.add(verification)
        if citizen_id is not None:
            self._rt.access_log(self._session).record(
                EventTag.PARTNER_CITIZEN_VERIFY, actor=f"partner:{partner_id}", citizen_id=citizen_id,
                purpose=f"{partner_name}: identity verification {verification.id}, result {result}")
        return VerificationResult(verification.id, result, reasons)

    def _citizens(self) -> CitizenService:
        return CitizenService(self._session, self._rt.vault(self._session), self._rt.clock)

    def _per_minute(self, partner: Partner) -> Limit:
        return Limit("verify_partner", partner.id, self._rt.settings.partner_requests_per_minute,
                     timedelta(minutes=1), PartnerRateLimited)
