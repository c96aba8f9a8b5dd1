"""The citizen's own account (DESIGN.md, "Citizen dashboard"): what CivicID holds about them, the
services they use, network-ID rotation, export and deletion.

Every use case that opens the citizen's sealed fields records itself in the transparency log
(``citizen:self:*``), in the same transaction, like any other access (principle 5).

Deletion is crypto-shredding (principle 2): the data key goes first, so a copy of the row that
survives anywhere (a replica, a backup) is noise. The log keeps the events it already has and one
tombstone, ``citizen:self:delete``, whose ``citizen_ref`` is the random internal id: once the
row is gone, nothing maps that id to a person, a name, an ID number or a network ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.audit.events import EventTag
from civicid.clock import Clock
from civicid.errors import CivicIDError
from civicid.identity.errors import SessionNotFound
from civicid.identity.passkeys import Passkey, PasskeyInfo, PasskeyService, WebAuthnCeremony
from civicid.identity.service import CitizenService, new_network_id
from civicid.identity.sessions import ActiveSession, CitizenSession, SignedIn, SignInSessions
from civicid.oidc import backchannel
from civicid.oidc.models import OidcAuthorizationCode, OidcConsent, OidcToken

#: how recent the sign-in must be to delete the account (a borrowed, unlocked browser is not enough)
FRESH_AUTH_MAX_AGE = timedelta(minutes=10)
SELF = "citizen"


class ReauthenticationRequired(CivicIDError):
    code = "account.reauthentication_required"
    status = 403
    default_message = "Deleting your CivicID needs a sign-in from the last 10 minutes: sign in again, then retry."


def mask_id_number(id_number: str) -> str:
    """The first three and last two characters, the rest as ``*``: enough to recognise, not to use."""
    if len(id_number) <= 5:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 5) + id_number[-2:]


@dataclass(frozen=True, slots=True)
class HeldData:
    """What CivicID holds about one citizen, opened for that citizen only."""

    network_id: str
    name: str
    birth_date: date
    id_number_masked: str
    verification: str
    enrolled_at: datetime
    passkeys: tuple[PasskeyInfo, ...]
    sessions: tuple[ActiveSession, ...]

    def __repr__(self) -> str:
        return "HeldData(...)"

    def to_json(self) -> dict:
        return {
            "network_id": self.network_id, "name": self.name, "birth_date": self.birth_date.isoformat(),
            "id_number_masked": self.id_number_masked, "verification": self.verification,
            "enrolled_at": self.enrolled_at.isoformat(),
            "passkeys": [key.to_json() for key in self.passkeys],
            "sessions": [s.to_json() for s in self.sessions],
        }


class AccountService:
    def __init__(self, runtime, session: Session) -> None:
        self._runtime = runtime
        self._session = session
        self._clock: Clock = runtime.clock
        self._citizens = CitizenService(session, runtime.vault(session), runtime.clock)

    def _record(self, tag: EventTag, citizen_id: str, purpose: str = "") -> None:
        self._runtime.access_log(self._session).record(tag, actor=SELF, citizen_id=citizen_id, purpose=purpose)

    def held(self, citizen_id: str, *, current_token: str | None = None, purpose: str = "",
             tag: EventTag = EventTag.CITIZEN_SELF_READ) -> HeldData:
        """Open the citizen's fields for them; recorded as ``tag`` (``citizen:self:read``, or
        ``citizen:self:export`` when they are opened for a download)."""
        citizen = self._citizens.get(citizen_id, with_data_key=True)
        profile = self._citizens.profile(citizen)
        self._record(tag, citizen_id, purpose)
        return HeldData(
            network_id=profile.network_id, name=profile.name, birth_date=profile.birth_date,
            id_number_masked=mask_id_number(profile.id_number), verification=profile.verification,
            enrolled_at=citizen.enrolled_at,
            passkeys=PasskeyService.from_runtime(self._runtime, self._session).list_for(citizen_id),
            sessions=SignInSessions(self._session, self._clock).list_for(citizen_id, current_token=current_token),
        )

    def rotate_network_id(self, citizen_id: str) -> str:
        """A new random network ID; the old one is forgotten. Relying parties keep their pairwise
        subjects: those are derived from the internal id under a secret key, never from this."""
        citizen = self._citizens.get(citizen_id)
        new = new_network_id()
        citizen.network_id = new
        self._session.flush()
        self._record(EventTag.CITIZEN_SELF_ROTATE_NETWORK_ID, citizen_id)
        return new

    def end_session(self, citizen_id: str, public_id: str) -> None:
        """Sign out one of the citizen's sessions (any browser, this one too); the services they
        use end that session there (Back-Channel Logout 1.0 §2.7, session only)."""
        sessions = SignInSessions(self._session, self._clock)
        key = sessions.key_of(citizen_id, public_id)
        if key is None:
            raise SessionNotFound()
        backchannel.enqueue(self._session, self._runtime, citizen_id=citizen_id,
                            client_ids=self._used_services(citizen_id), session_keys=[key], session_only=True)
        sessions.end_key(key)

    def end_all_sessions(self, citizen_id: str) -> int:
        """Sign out everywhere, this browser too; the services they use are told for every session.
        Returns how many sessions ended."""
        sessions = SignInSessions(self._session, self._clock)
        keys = sessions.keys_of(citizen_id)
        backchannel.enqueue(self._session, self._runtime, citizen_id=citizen_id,
                            client_ids=self._used_services(citizen_id), session_keys=keys)
        sessions.end_all(citizen_id)
        return len(keys)

    def _used_services(self, citizen_id: str) -> set[str]:
        return set(self._session.scalars(sa.select(OidcConsent.client_id).where(OidcConsent.citizen_id == citizen_id)))

    def delete(self, signed: SignedIn, *, max_age: timedelta = FRESH_AUTH_MAX_AGE) -> None:
        """Crypto-shred and revoke everything; leaves the log's tombstone."""
        now = self._clock.now()
        if now - signed.auth_time > max_age:
            raise ReauthenticationRequired(max_age_s=int(max_age.total_seconds()))
        citizen_id = signed.citizen_id
        self._citizens.get(citizen_id)  # CitizenNotFound if already gone
        run = self._session.execute
        # Back-Channel Logout 1.0: every service the citizen used ends their sessions there,
        # queued in this transaction and delivered after its commit
        used = set(self._session.scalars(sa.select(OidcConsent.client_id).where(OidcConsent.citizen_id == citizen_id)))
        used |= set(self._session.scalars(sa.select(OidcToken.client_id).where(OidcToken.citizen_id == citizen_id,
                                                                                OidcToken.revoked_at.is_(None))))
        session_keys = self._session.scalars(sa.select(CitizenSession.token_hash)
                                             .where(CitizenSession.citizen_id == citizen_id)).all()
        backchannel.enqueue(self._session, self._runtime, citizen_id=citizen_id, client_ids=used,
                            session_keys=session_keys)
        run(sa.update(OidcToken).where(OidcToken.citizen_id == citizen_id, OidcToken.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False))
        run(sa.update(OidcAuthorizationCode)
            .where(OidcAuthorizationCode.citizen_id == citizen_id, OidcAuthorizationCode.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        run(sa.delete(OidcConsent).where(OidcConsent.citizen_id == citizen_id)
            .execution_options(synchronize_session=False))
        run(sa.delete(Passkey).where(Passkey.citizen_id == citizen_id).execution_options(synchronize_session=False))
        run(sa.delete(WebAuthnCeremony).where(WebAuthnCeremony.citizen_id == citizen_id)
            .execution_options(synchronize_session=False))
        SignInSessions(self._session, self._clock).end_all(citizen_id)
        self._citizens.delete(citizen_id)  # the data key first, then the row
        self._record(EventTag.CITIZEN_SELF_DELETE, citizen_id, "account deleted; data key destroyed")
