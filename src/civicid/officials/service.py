"""Officials are users too (DESIGN.md principle 6): a role, a written justification and a case
reference for every read, a rate limit with an alert, every access in the citizen's log, and no
bulk access of any kind — reads are one ID number at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag
from civicid.audit.models import LogEntry
from civicid.enrolment.limits import AttemptLimiter
from civicid.identity.errors import CitizenNotFound
from civicid.identity.service import CitizenProfile, CitizenService
from civicid.ids import parse_id_number
from civicid.officials.errors import JustificationRequired, OfficialRateLimited, RoleRequired, StaffAuthFailed
from civicid.officials.justification import check_case_reference, check_justification
from civicid.officials.models import StaffMember
from civicid.partners.credentials import hash_secret, secret_matches
from civicid.runtime import Runtime

_DUMMY_HASH = hash_secret("civicid-no-such-staff")


class Role(StrEnum):
    ADMIN = "admin"
    REGISTRY_OFFICER = "registry_officer"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class NewStaff:
    staff_id: str
    name: str
    role: Role
    token: str

    def __repr__(self) -> str:
        return f"NewStaff(staff_id={self.staff_id!r}, role={self.role!r})"


class OfficialService:
    def __init__(self, runtime: Runtime, session: Session) -> None:
        self._rt = runtime
        self._session = session

    def add_staff(self, name: str, role: Role | str) -> NewStaff:
        import secrets

        role = Role(role)
        token = "stf_" + secrets.token_urlsafe(32)
        member = StaffMember(id=str(uuid.uuid4()), name=name.strip()[:200], role=role.value,
                             token_hash=hash_secret(token), active=True, created_at=self._rt.clock.now())
        self._session.add(member)
        self._session.flush()
        return NewStaff(member.id, member.name, role, token)

    def authenticate(self, token: str, *, roles: tuple[Role, ...]) -> StaffMember:
        member = self._session.scalar(sa.select(StaffMember).where(StaffMember.token_hash == hash_secret(token[:128])))
        if not secret_matches(token[:128], member.token_hash if member else _DUMMY_HASH) or not member.active:
            raise StaffAuthFailed()
        if Role(member.role) not in roles:
            raise RoleRequired()
        return member

    def read_citizen(self, official: StaffMember, *, id_number: str, justification: str,
                     case_reference: str) -> CitizenProfile:
        """One citizen's record for a registry officer with a justification and a case reference,
        within the hourly limit. Every refused attempt on an enrolled citizen (wrong role, no
        usable justification, over the limit) is an event in that citizen's log too."""
        number = parse_id_number(id_number, today=self._rt.clock.now().date()).value
        citizens = CitizenService(self._session, self._rt.vault(self._session), self._rt.clock)
        citizen = citizens.find_by_id_number(number)
        try:
            if Role(official.role) is not Role.REGISTRY_OFFICER:
                raise RoleRequired()
            justification = check_justification(justification)
            case_reference = check_case_reference(
                case_reference, pattern=self._rt.settings.official_case_reference_pattern)
            self._enforce_rate_limit(official)
        except (RoleRequired, JustificationRequired, OfficialRateLimited) as refused:
            if citizen is not None:
                self._rt.access_log(self._session).record(
                    EventTag.OFFICIAL_CITIZEN_READ_REFUSED, actor=f"official:{official.id}", citizen_id=citizen.id,
                    purpose=f"read refused: {refused.code}")
            raise
        if citizen is None:
            raise CitizenNotFound()
        self._rt.access_log(self._session).record(
            EventTag.OFFICIAL_CITIZEN_READ, actor=f"official:{official.id}", citizen_id=citizen.id,
            purpose=f"case {case_reference}: {justification}")
        return citizens.profile(citizen)

    def _enforce_rate_limit(self, official: StaffMember) -> None:
        """Counts the read (atomically, see civicid.enrolment.limits) or refuses it with an alert."""
        try:
            AttemptLimiter.for_runtime(self._rt, self._session).hit(
                "official_read", official.id, limit=self._rt.settings.official_reads_per_hour,
                window=timedelta(hours=1), error=OfficialRateLimited)
        except OfficialRateLimited:
            self._rt.access_log(self._session).record(
                EventTag.SYSTEM_OFFICIAL_RATE_LIMIT_ALERT, actor="system", citizen_id="",
                purpose=f"official {official.id} ({official.name}) exceeded "
                        f"{self._rt.settings.official_reads_per_hour} reads per hour; access refused")
            raise

    def summary(self) -> dict:
        """What an auditor may see: counts per event kind and the log's state, no personal data."""
        counts = dict(self._session.execute(sa.select(LogEntry.tag, sa.func.count()).group_by(LogEntry.tag)).all())
        return {"events_by_tag": counts, "log_size": sum(counts.values())}
