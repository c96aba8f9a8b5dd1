"""Passkey registration and sign-in against a software authenticator, on SQLite and PostgreSQL.

Every check a relying party owes (WebAuthn Level 3 §7.1, §7.2) gets a response that breaks it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from civicid.clock import FixedClock
from civicid.identity.passkey_errors import (
    AlreadyRegistered,
    AuthenticationRejected,
    CeremonyExpired,
    CeremonyInvalid,
    FreshFaceSessionRequired,
    RegistrationRejected,
    UnknownCredential,
)
from civicid.identity.passkeys import PasskeyService, RelyingParty, rejection_reason, require_fresh_face
from civicid.identity.service import CitizenService
from civicid.identity.sessions import SignedIn
from civicid.registry.interfaces import RegistryRecord
from civicid.vault.fakes import DeterministicRandom, FakeKeyProvider
from civicid.vault.store import FieldVault
from tests.support.softauthn import SoftAuthenticator, b64url, unb64url

ORIGIN = "http://localhost:8000"
RP = RelyingParty.from_public_url(ORIGIN + "/")
START = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
RECORD = RegistryRecord(id_number="11010519491231002X", name="Zhang Wei", birth_date=date(1949, 12, 31),
                        sex="F", photo=b"\xff\xd8\xff-not-a-real-photo")
OTHER = RegistryRecord(id_number="110105194912310021", name="Li Na", birth_date=date(1949, 12, 31),
                       sex="F", photo=b"\xff\xd8\xff-not-a-real-photo")


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def keys():
    return FakeKeyProvider()


@pytest.fixture
def citizen(db_session, keys, clock):
    return CitizenService(db_session, FieldVault(db_session, keys, clock), clock).create(
        RECORD, verification="face-liveness")


@pytest.fixture
def service(db_session, keys, clock):
    return PasskeyService(db_session, relying_party=RP, clock=clock,
                          user_handle_key=keys.hmac_key("webauthn.user_handle"),
                          random_bytes=DeterministicRandom(b"passkeys").token_bytes)


@pytest.fixture
def authenticator():
    return SoftAuthenticator(origin=ORIGIN, random_bytes=DeterministicRandom(b"authenticator").token_bytes)


def register(service, authenticator, citizen, **kwargs):
    options = service.registration_options(citizen.id, user_name=citizen.network_id)
    return options, service.verify_registration(options.ceremony_id, authenticator.create(options.public_key, **kwargs),
                                                citizen_id=citizen.id)


def test_rp_id_and_origin_come_from_the_public_url():
    assert (RP.id, RP.origin) == ("localhost", "http://localhost:8000")
    assert RelyingParty.from_public_url("https://id.example.gov/base").origin == "https://id.example.gov"
    with pytest.raises(ValueError):
        RelyingParty.from_public_url("localhost:8000")


def test_registration_options_require_a_discoverable_user_verifying_credential(service, citizen):
    options = service.registration_options(citizen.id, user_name=citizen.network_id).public_key
    assert options["rp"] == {"name": "CivicID", "id": "localhost"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    # the user handle is a keyed hash of the internal id, never the id or anything personal
    handle = unb64url(options["user"]["id"])
    assert handle == service.user_handle(citizen.id) and citizen.id.encode() not in handle
    assert options["user"]["name"] == citizen.network_id


def test_register_then_sign_in_with_a_discoverable_credential(service, authenticator, citizen, clock):
    _, info = register(service, authenticator, citizen)
    assert info.transports == ("internal",) and info.backed_up is True and info.last_used_at is None

    clock.advance(minutes=1)
    options = service.authentication_options()
    assert options.public_key["userVerification"] == "required"
    assert options.public_key.get("allowCredentials", []) == []
    signed_in = service.verify_authentication(options.ceremony_id, authenticator.get(options.public_key))
    assert signed_in.citizen_id == citizen.id and signed_in.user_verified and signed_in.sign_count == 1
    assert (signed_in.network_id, signed_in.verification) == (citizen.network_id, citizen.verification)
    [listed] = service.list_for(citizen.id)
    assert listed.last_used_at == clock.now() and listed.credential_id == info.credential_id


def test_registration_is_excluded_for_existing_credentials(service, authenticator, citizen):
    register(service, authenticator, citizen)
    options = service.registration_options(citizen.id, user_name=citizen.network_id).public_key
    assert [item["id"] for item in options["excludeCredentials"]] == [b64url(authenticator.credentials[0].credential_id)]


@pytest.mark.parametrize("tamper, reason", [
    ({"origin": "http://localhost:8001"}, "origin"),
    ({"origin": "https://evil.example"}, "origin"),
    ({"challenge": b64url(b"\x00" * 32)}, "challenge"),
    ({"user_verified": False}, "user_verification"),
    ({"user_present": False}, "user_presence"),
    ({"rp_id": "evil.example"}, "rp_id"),
])
def test_registration_rejects_tampered_responses(service, authenticator, citizen, tamper, reason):
    with pytest.raises(RegistrationRejected) as caught:
        register(service, authenticator, citizen, **tamper)
    assert caught.value.reason == reason and caught.value.code == "passkey.registration_rejected"
    assert service.list_for(citizen.id) == ()


@pytest.mark.parametrize("tamper, reason", [
    ({"origin": "http://localhost:8001"}, "origin"),
    ({"challenge": b64url(b"\x01" * 32)}, "challenge"),
    ({"user_verified": False}, "user_verification"),
    ({"user_present": False}, "user_presence"),
])
def test_sign_in_rejects_tampered_assertions(service, authenticator, citizen, tamper, reason):
    register(service, authenticator, citizen)
    options = service.authentication_options()
    with pytest.raises(AuthenticationRejected) as caught:
        service.verify_authentication(options.ceremony_id, authenticator.get(options.public_key, **tamper))
    assert caught.value.reason == reason and caught.value.status == 401


def test_a_ceremony_is_single_use_even_after_a_failure(service, authenticator, citizen):
    register(service, authenticator, citizen)
    options = service.authentication_options()
    service.verify_authentication(options.ceremony_id, authenticator.get(options.public_key))
    with pytest.raises(CeremonyInvalid):  # the same challenge, signed again with a higher counter
        service.verify_authentication(options.ceremony_id, authenticator.get(options.public_key))

    failed = service.authentication_options()
    with pytest.raises(AuthenticationRejected):
        service.verify_authentication(failed.ceremony_id, authenticator.get(failed.public_key, user_verified=False))
    with pytest.raises(CeremonyInvalid):
        service.verify_authentication(failed.ceremony_id, authenticator.get(failed.public_key))


def test_a_replayed_assertion_fails_on_the_challenge_and_the_counter(service, authenticator, citizen):
    register(service, authenticator, citizen)
    first = service.authentication_options()
    assertion = authenticator.get(first.public_key)
    service.verify_authentication(first.ceremony_id, assertion)
    second = service.authentication_options()
    with pytest.raises(AuthenticationRejected) as caught:
        service.verify_authentication(second.ceremony_id, assertion)
    assert caught.value.reason == "challenge"
    # a fresh challenge with a counter that did not move: a cloned authenticator
    third = service.authentication_options()
    with pytest.raises(AuthenticationRejected) as caught:
        service.verify_authentication(third.ceremony_id, authenticator.get(third.public_key, sign_count=1))
    assert caught.value.reason == "sign_count"


def test_authenticators_that_always_report_zero_still_sign_in(service, citizen):
    authenticator = SoftAuthenticator(origin=ORIGIN, counter_step=0)
    register(service, authenticator, citizen)
    for _ in range(2):
        options = service.authentication_options()
        assert service.verify_authentication(options.ceremony_id, authenticator.get(options.public_key)).sign_count == 0


def test_unknown_credential_and_foreign_user_handle(service, authenticator, citizen, db_session, keys, clock):
    register(service, authenticator, citizen)
    stranger = SoftAuthenticator(origin=ORIGIN)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": b64url(b"x" * 32)}, "challenge": b64url(b"c")})
    options = service.authentication_options()
    with pytest.raises(UnknownCredential):
        service.verify_authentication(options.ceremony_id, stranger.get(options.public_key))

    other = CitizenService(db_session, FieldVault(db_session, keys, clock), clock).create(
        OTHER, verification="face-liveness")
    options = service.authentication_options()
    assertion = authenticator.get(options.public_key, user_handle=service.user_handle(other.id))
    with pytest.raises(AuthenticationRejected) as caught:
        service.verify_authentication(options.ceremony_id, assertion)
    assert caught.value.reason == "user_handle"


def test_ceremonies_expire_and_are_bound_to_their_purpose_and_citizen(service, authenticator, citizen, clock,
                                                                      db_session, keys):
    options = service.registration_options(citizen.id, user_name=citizen.network_id)
    clock.advance(minutes=5)
    with pytest.raises(CeremonyExpired):
        service.verify_registration(options.ceremony_id, authenticator.create(options.public_key), citizen_id=citizen.id)

    sign_in = service.authentication_options()
    with pytest.raises(CeremonyInvalid):
        service.verify_registration(sign_in.ceremony_id, authenticator.create(sign_in.public_key | {
            "rp": {"id": "localhost"}, "user": {"id": b64url(b"u")}}), citizen_id=citizen.id)

    other = CitizenService(db_session, FieldVault(db_session, keys, clock), clock).create(
        OTHER, verification="face-liveness")
    options = service.registration_options(citizen.id, user_name=citizen.network_id)
    with pytest.raises(CeremonyInvalid):
        service.verify_registration(options.ceremony_id, authenticator.create(options.public_key), citizen_id=other.id)
    with pytest.raises(CeremonyInvalid):
        service.verify_authentication("no-such-ceremony", {})


def test_the_same_credential_cannot_be_registered_twice(service, authenticator, citizen):
    register(service, authenticator, citizen)
    reused_id = authenticator.credentials[0].credential_id
    copycat = SoftAuthenticator(origin=ORIGIN, random_bytes=lambda n: reused_id)
    options = service.registration_options(citizen.id, user_name=citizen.network_id)
    with pytest.raises(AlreadyRegistered):
        service.verify_registration(options.ceremony_id, copycat.create(options.public_key), citizen_id=citizen.id)


def test_malformed_credentials_are_typed_errors(service, citizen):
    options = service.authentication_options()
    with pytest.raises(AuthenticationRejected) as caught:
        service.verify_authentication(options.ceremony_id, {"id": "x"})
    assert caught.value.reason == "malformed"
    options = service.registration_options(citizen.id, user_name=citizen.network_id)
    with pytest.raises(RegistrationRejected) as caught:
        service.verify_registration(options.ceremony_id, {"id": 3}, citizen_id=citizen.id)
    assert caught.value.reason == "malformed"


def test_registration_needs_a_fresh_face_session():
    now = START
    fresh = SignedIn("c1", ("face", "user"), "urn:civicid:acr:face-liveness", now - timedelta(minutes=9))
    assert require_fresh_face(fresh, now=now) is fresh
    with pytest.raises(FreshFaceSessionRequired):
        require_fresh_face(None, now=now)
    with pytest.raises(FreshFaceSessionRequired):
        require_fresh_face(SignedIn("c1", ("hwk", "user"), "urn:civicid:acr:face-liveness", now), now=now)
    with pytest.raises(FreshFaceSessionRequired):
        require_fresh_face(SignedIn("c1", ("face", "user"), "x", now - timedelta(minutes=11)), now=now)


def test_rejection_reasons_translate_library_messages():
    assert rejection_reason(ValueError("Unexpected client data origin \"x\", expected \"y\"")) == "origin"
    assert rejection_reason(ValueError("clientDataJSON was malformed. See __cause__")) == "malformed"
    assert rejection_reason(ValueError("something new")) == "invalid"


def test_unfinished_ceremonies_are_purged_once_expired(db_session, keys, clock):
    import sqlalchemy as sa

    from civicid.identity.passkeys import WebAuthnCeremony

    counter = iter(range(1, 1000))

    def purging(n):  # a first byte of 0 triggers the amortised purge
        return bytes([0, next(counter) % 256]) + b"\x01" * (n - 2)

    service = PasskeyService(db_session, relying_party=RP, clock=clock, user_handle_key=b"k" * 32,
                             random_bytes=purging)
    service.authentication_options()
    clock.advance(minutes=6)
    fresh = service.authentication_options()
    assert db_session.scalars(sa.select(WebAuthnCeremony.id)).all() == [fresh.ceremony_id]
