"""Passkeys: WebAuthn registration and discoverable-credential sign-in for citizens.

Implements the Relying Party operations of WebAuthn Level 3 (https://www.w3.org/TR/webauthn-3/):
§7.1 "Registering a New Credential" and §7.2 "Verifying an Authentication Assertion", with
py_webauthn doing the byte-level checks. Policy: user verification is required in both ceremonies
(``require_user_verification=True``), credentials must be discoverable (``residentKey:
"required"``) so sign-in needs no user name, attestation is not requested ("none": CivicID trusts
the face verification that precedes registration, not the authenticator's make).

Challenges are kept server side, one row per ceremony, for a few minutes and for one use only: the
row is deleted by the verification that consumes it, whether it succeeds or fails. The WebAuthn
user handle is an HMAC of the citizen's internal id (``webauthn.user_handle`` key), so the
authenticator holds nothing personal and nothing that links to other relying parties.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers import parse_registration_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from civicid.audit.events import EventTag
from civicid.clock import Clock
from civicid.db import Base, HotStatement, UTCDateTime
from civicid.identity.models import Citizen
from civicid.identity.passkey_errors import (
    AlreadyRegistered,
    AuthenticationRejected,
    CeremonyExpired,
    CeremonyInvalid,
    FreshFaceSessionRequired,
    LastPasskey,
    PasskeyNameInvalid,
    PasskeyNotFound,
    RegistrationRejected,
    UnknownCredential,
)
from civicid.identity.sessions import SignedIn

USER_HANDLE_PURPOSE = "webauthn.user_handle"
REGISTRATION = "registration"
AUTHENTICATION = "authentication"
CEREMONY_TTL = timedelta(minutes=5)
FRESH_FACE_MAX_AGE = timedelta(minutes=10)
PURGE_BELOW = 8  # of 256: one ceremony in 32 also deletes the expired ones
MAX_CREDENTIAL_ID_BYTES = 1023  # WebAuthn §5.1 "credential ID ... at most 1023 bytes"
MAX_PASSKEY_NAME = 64  # characters of a passkey's nickname
_KNOWN_TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)


class Passkey(Base):
    """A registered credential. Only public material: the COSE public key and counters."""

    __tablename__ = "passkeys"

    credential_id: Mapped[bytes] = mapped_column(sa.LargeBinary(MAX_CREDENTIAL_ID_BYTES), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("citizens.id", ondelete="CASCADE"),
                                            index=True)
    user_handle: Mapped[bytes] = mapped_column(sa.LargeBinary(64))
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger)
    transports: Mapped[str] = mapped_column(sa.String(128), default="")
    aaguid: Mapped[str] = mapped_column(sa.String(36))
    backed_up: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the citizen's own name for it ("Work laptop"); None until they give one (migration 0015)
    nickname: Mapped[str | None] = mapped_column(sa.String(MAX_PASSKEY_NAME), nullable=True)


class WebAuthnCeremony(Base):
    """An issued challenge waiting for its one verification."""

    __tablename__ = "webauthn_ceremonies"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    challenge: Mapped[bytes] = mapped_column(sa.LargeBinary(64))
    citizen_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# The sign-in statements, on the tables (not the ORM), built once.
_ceremony, _passkey, _citizen = WebAuthnCeremony.__table__.c, Passkey.__table__.c, Citizen.__table__.c
_OPEN_CEREMONY = HotStatement(WebAuthnCeremony.__table__.insert())
_TAKE_CEREMONY = HotStatement(
    WebAuthnCeremony.__table__.delete().where(_ceremony.id == sa.bindparam("ceremony_id"))
    .returning(_ceremony.purpose, _ceremony.challenge, _ceremony.citizen_id, _ceremony.expires_at))
_PASSKEY_WITH_OWNER = HotStatement(
    sa.select(_passkey.credential_id, _passkey.citizen_id, _passkey.user_handle, _passkey.public_key,
              _passkey.sign_count, _citizen.network_id, _citizen.verification)
    .join_from(Passkey.__table__, Citizen.__table__, _citizen.id == _passkey.citizen_id)
    .where(_passkey.credential_id == sa.bindparam("credential_id")))
_record_use = (Passkey.__table__.update().where(_passkey.credential_id == sa.bindparam("used_credential_id"))
               .values(sign_count=sa.bindparam("new_count"), last_used_at=sa.bindparam("now")))
_RECORD_USE = HotStatement(_record_use)
# WebAuthn §6.1.1: a counter that does not increase means a cloned authenticator
_RECORD_USE_COUNTED = HotStatement(_record_use.where(_passkey.sign_count < sa.bindparam("new_count")))


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the credentials are scoped to: the RP id (a host name) and the exact origin."""

    id: str
    origin: str
    name: str = "CivicID"

    @classmethod
    def from_public_url(cls, public_url: str, *, name: str = "CivicID") -> "RelyingParty":
        """``http://localhost:8000/`` → id ``localhost``, origin ``http://localhost:8000``."""
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"public_url must be an http(s) URL with a host, not {public_url!r}")
        return cls(id=parts.hostname, origin=f"{parts.scheme}://{parts.netloc}", name=name)


@dataclass(frozen=True, slots=True)
class CeremonyOptions:
    """What the browser passes to ``navigator.credentials.create/get`` (``public_key``, in the
    JSON form of WebAuthn §5.1.8/§5.1.9) and the id to send back with the response."""

    ceremony_id: str
    public_key: dict[str, Any]
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"ceremony_id": self.ceremony_id, "publicKey": self.public_key,
                "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True, slots=True)
class PasskeyInfo:
    credential_id: str  # base64url
    created_at: datetime
    last_used_at: datetime | None
    transports: tuple[str, ...]
    backed_up: bool
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"credential_id": self.credential_id, "name": self.name, "created_at": self.created_at.isoformat(),
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
                "transports": list(self.transports), "backed_up": self.backed_up}


@dataclass(frozen=True, slots=True)
class VerifiedSignIn:
    citizen_id: str = field(repr=False)
    network_id: str = field(repr=False)
    #: how the owner was verified at enrolment (``Citizen.verification``), for the session's acr
    verification: str
    credential_id: str
    sign_count: int
    user_verified: bool


# py_webauthn 3.0.1 messages (one exception type per ceremony) → stable reasons, first match wins.
REJECTION_REASONS: tuple[tuple[str, str], ...] = (
    ("challenge", "challenge"),
    ("origin", "origin"),
    ("rp id hash", "rp_id"),
    ("user verification", "user_verification"),
    ("not present", "user_presence"),
    ("user presence", "user_presence"),
    ("sign count", "sign_count"),
    ("signature", "signature"),
    ("client data type", "type"),
    ("public key alg", "algorithm"),
    ("attestation", "attestation"),
)


def rejection_reason(exc: Exception) -> str:
    message = str(exc).lower()
    if "malformed" in message or "missing" in message or "not equivalent" in message:
        return "malformed"
    for needle, reason in REJECTION_REASONS:
        if needle in message:
            return reason
    return "invalid"


def require_fresh_face(signed_in: SignedIn | None, *, now: datetime,
                       max_age: timedelta = FRESH_FACE_MAX_AGE) -> SignedIn:
    """Registration policy: a session from a face verification (``amr`` contains ``face``,
    RFC 8176 §2) that is at most ``max_age`` old — right after enrolment or recovery."""
    if signed_in is None or "face" not in signed_in.amr or now - signed_in.auth_time > max_age:
        raise FreshFaceSessionRequired()
    return signed_in


class PasskeyService:
    def __init__(self, session: Session, *, relying_party: RelyingParty, clock: Clock, user_handle_key: bytes,
                 random_bytes: Callable[[int], bytes] = secrets.token_bytes,
                 ceremony_ttl: timedelta = CEREMONY_TTL, access_log: Callable[[], Any] | None = None) -> None:
        """``access_log`` builds the transparency log recorder (only registration records)."""
        self._session = session
        self._log = access_log
        self._rp = relying_party
        self._clock = clock
        self._handle_key = user_handle_key
        self._random = random_bytes
        self._ttl = ceremony_ttl

    @classmethod
    def from_runtime(cls, runtime, session: Session) -> "PasskeyService":
        return cls(session, relying_party=RelyingParty.from_public_url(runtime.settings.public_url),
                   clock=runtime.clock, user_handle_key=runtime.keys.hmac_key(USER_HANDLE_PURPOSE),
                   access_log=lambda: runtime.access_log(session))

    def user_handle(self, citizen_id: str) -> bytes:
        return hmac.new(self._handle_key, citizen_id.encode(), hashlib.sha256).digest()

    # --- registration (WebAuthn §7.1) ------------------------------------------------------------
    def registration_options(self, citizen_id: str, *, user_name: str) -> CeremonyOptions:
        existing = self._session.scalars(sa.select(Passkey.credential_id).where(Passkey.citizen_id == citizen_id))
        challenge = self._random(32)
        options = generate_registration_options(
            rp_id=self._rp.id, rp_name=self._rp.name, user_name=user_name, user_display_name=user_name,
            user_id=self.user_handle(citizen_id), challenge=challenge, timeout=int(self._ttl.total_seconds() * 1000),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
                user_verification=UserVerificationRequirement.REQUIRED),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in existing],
        )
        return self._open_ceremony(REGISTRATION, challenge, options_to_json_dict(options), citizen_id=citizen_id)

    def verify_registration(self, ceremony_id: str, credential: dict[str, Any], *, citizen_id: str) -> PasskeyInfo:
        ceremony = self._consume(ceremony_id, REGISTRATION)
        if ceremony.citizen_id != citizen_id:
            raise CeremonyInvalid()
        try:
            parsed = parse_registration_credential_json(credential)
            verified = verify_registration_response(
                credential=parsed, expected_challenge=ceremony.challenge, expected_rp_id=self._rp.id,
                expected_origin=self._rp.origin, require_user_presence=True, require_user_verification=True)
        except WebAuthnException as exc:
            raise RegistrationRejected(rejection_reason(exc), str(exc)) from None
        if len(verified.credential_id) > MAX_CREDENTIAL_ID_BYTES:
            raise RegistrationRejected("malformed", "The credential id is too long.")
        if self._session.get(Passkey, verified.credential_id) is not None:
            raise AlreadyRegistered()
        transports = tuple(t.value for t in (parsed.response.transports or ()) if t.value in _KNOWN_TRANSPORTS)
        row = Passkey(credential_id=verified.credential_id, citizen_id=citizen_id,
                      user_handle=self.user_handle(citizen_id), public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, transports=",".join(transports)[:128],
                      aaguid=verified.aaguid, backed_up=verified.credential_backed_up,
                      created_at=self._clock.now(), last_used_at=None)
        self._session.add(row)
        self._session.flush()
        if self._log is not None:
            self._log().record(EventTag.CITIZEN_SELF_PASSKEY_ADDED, actor="citizen", citizen_id=citizen_id)
        return _info(row)

    # --- authentication (WebAuthn §7.2) ----------------------------------------------------------
    def authentication_options(self) -> CeremonyOptions:
        """Options for a discoverable-credential sign-in: no ``allowCredentials``, the
        authenticator offers the citizen's passkey and returns its user handle."""
        challenge = self._random(32)
        options = generate_authentication_options(
            rp_id=self._rp.id, challenge=challenge, timeout=int(self._ttl.total_seconds() * 1000),
            user_verification=UserVerificationRequirement.REQUIRED)
        return self._open_ceremony(AUTHENTICATION, challenge, options_to_json_dict(options))

    def verify_authentication(self, ceremony_id: str, credential: dict[str, Any]) -> VerifiedSignIn:
        ceremony = self._consume(ceremony_id, AUTHENTICATION)
        try:
            parsed = parse_authentication_credential_json(credential)
        except WebAuthnException as exc:
            raise AuthenticationRejected("malformed", str(exc)) from None
        row = _PASSKEY_WITH_OWNER.run(self._session, {"credential_id": parsed.raw_id}).one_or_none() \
            if len(parsed.raw_id) <= MAX_CREDENTIAL_ID_BYTES else None
        if row is None:
            raise UnknownCredential()
        # §7.2 step 6: the user handle, required for a discoverable credential, must be the owner's.
        handle = parsed.response.user_handle
        if not handle or not hmac.compare_digest(handle, row.user_handle):
            raise AuthenticationRejected("user_handle", "The passkey's user handle does not match its owner.")
        try:
            verified = verify_authentication_response(
                credential=parsed, expected_challenge=ceremony.challenge, expected_rp_id=self._rp.id,
                expected_origin=self._rp.origin, credential_public_key=row.public_key,
                credential_current_sign_count=row.sign_count, require_user_verification=True)
        except WebAuthnException as exc:
            raise AuthenticationRejected(rejection_reason(exc), str(exc)) from None
        self._record_use(row.credential_id, verified.new_sign_count)
        return VerifiedSignIn(citizen_id=row.citizen_id, network_id=row.network_id, verification=row.verification,
                              credential_id=bytes_to_base64url(row.credential_id),
                              sign_count=verified.new_sign_count, user_verified=verified.user_verified)

    def list_for(self, citizen_id: str) -> tuple[PasskeyInfo, ...]:
        rows = self._session.scalars(sa.select(Passkey).where(Passkey.citizen_id == citizen_id)
                                     .order_by(Passkey.created_at))
        return tuple(_info(row) for row in rows)

    # --- the citizen's own management (/account) -------------------------------------------------
    def rename(self, citizen_id: str, credential_id: str, name: str) -> PasskeyInfo:
        """Give one of the citizen's passkeys a nickname (empty: none); see :func:`clean_passkey_name`."""
        row = self._own(citizen_id, credential_id)
        row.nickname = clean_passkey_name(name)
        self._session.flush()
        return _info(row)

    def remove(self, citizen_id: str, credential_id: str) -> None:
        """Delete one of the citizen's passkeys, never the last one: without a passkey the only way
        back in is a new face verification, so the citizen adds another passkey first. The rows
        are locked (``FOR UPDATE``) so two removals at once cannot leave none."""
        owned = self._session.scalars(sa.select(Passkey.credential_id).where(Passkey.citizen_id == citizen_id)
                                      .order_by(Passkey.credential_id).with_for_update()).all()
        row = self._own(citizen_id, credential_id)
        if len(owned) <= 1:
            raise LastPasskey()
        self._session.delete(row)
        self._session.flush()

    def _own(self, citizen_id: str, credential_id: str) -> Passkey:
        """The citizen's passkey with this base64url id; :class:`PasskeyNotFound` for any other
        (someone else's looks the same as none)."""
        raw = _decode_credential_id(credential_id)
        row = self._session.get(Passkey, raw) if raw is not None else None
        if row is None or row.citizen_id != citizen_id:
            raise PasskeyNotFound()
        return row

    # --- ceremonies ------------------------------------------------------------------------------
    def _open_ceremony(self, purpose: str, challenge: bytes, public_key: dict[str, Any], *,
                       citizen_id: str | None = None) -> CeremonyOptions:
        now = self._clock.now()
        raw_id = self._random(24)
        if raw_id[0] < PURGE_BELOW:  # amortised clean-up of the ceremonies nobody finished
            self._session.execute(sa.delete(WebAuthnCeremony).where(WebAuthnCeremony.expires_at <= now)
                                  .execution_options(synchronize_session=False))
        ceremony_id = bytes_to_base64url(raw_id)
        expires_at = now + self._ttl
        _OPEN_CEREMONY.run(self._session, {"id": ceremony_id, "purpose": purpose, "challenge": challenge,
                                               "citizen_id": citizen_id, "expires_at": expires_at})
        return CeremonyOptions(ceremony_id, public_key, expires_at)

    def _consume(self, ceremony_id: str, purpose: str):
        """Single use: one DELETE ... RETURNING takes the row; of two concurrent verifications only
        the one whose DELETE removed it goes on. A ceremony of the wrong kind is used up too."""
        if not isinstance(ceremony_id, str) or not 0 < len(ceremony_id) <= 64:
            raise CeremonyInvalid()
        row = _TAKE_CEREMONY.run(self._session, {"ceremony_id": ceremony_id}).one_or_none()
        if row is None or row.purpose != purpose:
            raise CeremonyInvalid()
        if self._clock.now() >= row.expires_at:
            raise CeremonyExpired()
        return row

    def _record_use(self, credential_id: bytes, new_count: int) -> None:
        """Store the new signature counter with a compare-and-set, so two assertions racing with
        the same counter cannot both succeed (a cloned authenticator; WebAuthn §6.1.1). An
        authenticator without a counter always sends 0."""
        updated = (_RECORD_USE_COUNTED if new_count > 0 else _RECORD_USE).run(self._session, {
            "used_credential_id": credential_id, "new_count": new_count, "now": self._clock.now()})
        if updated.rowcount != 1:
            raise AuthenticationRejected("sign_count", "The signature counter did not increase.")


def clean_passkey_name(name: object) -> str | None:
    """A nickname as stored: surrounding spaces dropped, runs of white space made one space; at
    most :data:`MAX_PASSKEY_NAME` characters, no control or format characters such as bidi
    overrides (they could hide or reorder text on the page); empty means no name."""
    if not isinstance(name, str):
        raise PasskeyNameInvalid(reason="type")
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_PASSKEY_NAME:
        raise PasskeyNameInvalid(reason="too_long", max_length=MAX_PASSKEY_NAME)
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES and ch not in _JOINERS for ch in cleaned):
        raise PasskeyNameInvalid(reason="characters")
    return cleaned or None


def _decode_credential_id(text: object) -> bytes | None:
    if not isinstance(text, str) or not 0 < len(text) <= 2 * MAX_CREDENTIAL_ID_BYTES:
        return None
    if any(ch not in _B64URL for ch in text):
        return None
    try:
        raw = base64url_to_bytes(text)
    except (ValueError, binascii.Error):
        return None
    return raw if 0 < len(raw) <= MAX_CREDENTIAL_ID_BYTES else None


_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})  # controls, format (bidi), unassigned
_JOINERS = frozenset("\u200c\u200d")  # zero-width (non-)joiner: part of emoji and of some scripts
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _info(row: Passkey) -> PasskeyInfo:
    return PasskeyInfo(credential_id=bytes_to_base64url(row.credential_id), created_at=row.created_at,
                       last_used_at=row.last_used_at, transports=tuple(filter(None, row.transports.split(","))),
                       backed_up=row.backed_up, name=row.nickname)

