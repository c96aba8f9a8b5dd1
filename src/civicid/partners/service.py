"""The verification API for telecoms and platforms: "is this live person the holder of X?".

The answer is match / no_match / liveness_failed / not_found_or_mismatch with reason codes and a
verification id; no personal data is ever returned. Every answered verification is recorded
against the citizen holding the number, if there is one.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag
from civicid.enrolment.frames import Frame
from civicid.enrolment.limits import AttemptLimiter
from civicid.enrolment.service import RATE_LIMIT_PURPOSE, check_frame_limits
from civicid.enrolment.assessment import LiveCheck
from civicid.face.challenge import Challenge, new_challenge, parse_actions
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


class PartnerService:
    def __init__(self, runtime: Runtime, session: Session) -> None:
        self._rt = runtime
        self._session = session
        self._limiter = AttemptLimiter(session, runtime.clock, key=runtime.keys.hmac_key(RATE_LIMIT_PURPOSE))

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

    def new_challenge(self, partner: Partner) -> tuple[str, Challenge]:
        self._check_partner_rate(partner)
        challenge = new_challenge(self._rt.random, now=self._rt.clock.now(),
                                  ttl_s=self._rt.settings.enrolment_ttl_s)
        challenge_id = str(uuid.uuid4())
        self._session.add(VerificationChallenge(id=challenge_id, partner_id=partner.id,
                                                actions=",".join(challenge.actions), nonce=challenge.nonce,
                                                expires_at=challenge.expires_at, used=False))
        return challenge_id, challenge

    def verify(self, partner: Partner, *, challenge_id: str, id_number: str, name: str,
               frames: Sequence[Frame]) -> VerificationResult:
        now = self._rt.clock.now()
        number = parse_id_number(id_number, today=now.date()).value
        self._check_partner_rate(partner)
        self._limiter.check("verify_id", number, limit=self._rt.settings.partner_requests_per_id_per_hour,
                            window=timedelta(hours=1), failed_only=False, error=PartnerRateLimited)
        challenge = self._session.get(VerificationChallenge, challenge_id[:36], with_for_update=True)
        if challenge is None or challenge.partner_id != partner.id or challenge.used or now >= challenge.expires_at:
            raise ChallengeInvalid()
        challenge.used = True
        check_frame_limits(frames, settings=self._rt.settings)
        self._limiter.record("verify_partner", partner.id, failed=False)
        self._limiter.record("verify_id", number, failed=False)

        record = self._rt.registry(self._session).lookup(number)
        if record is None or record.status != "active" or normalise_name(name) != normalise_name(record.name):
            result, reasons = "not_found_or_mismatch", ("registry.not_found_or_mismatch",)
        else:
            assessment = LiveCheck.from_settings(self._rt.face_engine, self._rt.settings).assess(
                frames, actions=parse_actions(challenge.actions), reference=record.photo)
            result = {"match": "match", "no_match": "no_match"}.get(assessment.outcome, "liveness_failed")
            reasons = assessment.reasons
        return self._record(partner, number, result, reasons)

    def _record(self, partner: Partner, number: str, result: str, reasons: tuple[str, ...]) -> VerificationResult:
        citizen = CitizenService(self._session, self._rt.vault(self._session), self._rt.clock).find_by_id_number(number)
        verification = Verification(id=str(uuid.uuid4()), partner_id=partner.id,
                                    citizen_id=citizen.id if citizen else None, result=result,
                                    reasons=json.dumps(list(reasons)), created_at=self._rt.clock.now())
        self._session.add(verification)
        if citizen is not None:
            self._rt.access_log(self._session).record(
                EventTag.PARTNER_CITIZEN_VERIFY, actor=f"partner:{partner.id}", citizen_id=citizen.id,
                purpose=f"{partner.name}: identity verification {verification.id}, result {result}")
        return VerificationResult(verification.id, result, reasons)

    def _check_partner_rate(self, partner: Partner) -> None:
        self._limiter.check("verify_partner", partner.id, limit=self._rt.settings.partner_requests_per_minute,
                            window=timedelta(minutes=1), failed_only=False, error=PartnerRateLimited)
