"""Passkeys over HTTP on both databases: registration after a fresh face session, discoverable
sign-in that starts a session with amr hwk+user, sign-out, and every rejection as a typed error."""

from __future__ import annotations

import json

import pytest

from civicid.audit.events import EventTag
from civicid.identity.sessions import COOKIE_NAME, SignInSessions
from tests.support.harness import make_citizen
from tests.support.softauthn import SoftAuthenticator

ID_NUMBER = "11010519900307005X"
NAME = "Li Ming"
ACR = "urn:civicid:acr:face-liveness"


@pytest.fixture
def h(harness_factory):
    return harness_factory()


@pytest.fixture
def authenticator(h):
    return SoftAuthenticator(origin=h.settings.public_url.rstrip("/"))


def sign_in_as(h, citizen_id, *, amr=("face", "user")) -> str:
    with h.runtime.transaction() as session:
        token = SignInSessions(session, h.clock).create(citizen_id, amr=amr, acr=ACR)
    h.client.cookies.set(COOKIE_NAME, token)
    return token


def register(h, authenticator):
    options = h.client.post("/api/v1/passkeys/registration/options")
    assert options.status_code == 200, options.text
    body = options.json()
    return h.client.post("/api/v1/passkeys/registration/verify", json={
        "ceremony_id": body["ceremony_id"], "credential": authenticator.create(body["publicKey"])})


def sign_in(h, authenticator, **tamper):
    body = h.client.post("/api/v1/signin/options").json()
    return h.client.post("/api/v1/signin/verify", json={
        "ceremony_id": body["ceremony_id"], "credential": authenticator.get(body["publicKey"], **tamper)})


def test_register_after_face_session_then_sign_in_with_the_passkey(h, authenticator):
    citizen_id = make_citizen(h, id_number=ID_NUMBER, name=NAME)
    sign_in_as(h, citizen_id)
    registered = register(h, authenticator)
    assert registered.status_code == 201, registered.text
    assert h.client.get("/api/v1/passkeys").json()["passkeys"][0]["transports"] == ["internal"]
    with h.runtime.transaction() as session:
        _, history, _ = h.runtime.access_log(session).history(citizen_id)
    assert [item.event.tag for item in history] == [EventTag.CITIZEN_SELF_PASSKEY_ADDED]

    assert h.client.post("/api/v1/signout").status_code == 204
    assert h.client.get("/api/v1/passkeys").json()["error"]["code"] == "auth.sign_in_required"

    h.clock.advance(minutes=30)
    signed_in = sign_in(h, authenticator)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["amr"] == ["hwk", "user"] and signed_in.json()["acr"] == ACR
    token = signed_in.cookies.get(COOKIE_NAME)
    with h.runtime.transaction() as session:
        session_info = SignInSessions(session, h.clock).resolve(token)
    assert session_info.citizen_id == citizen_id and session_info.amr == ("hwk", "user")
    assert session_info.auth_time == h.clock.now()

    page = h.client.get("/account")
    assert page.status_code == 200 and signed_in.json()["network_id"] in page.text
    # a passkey session is not a face session: no new passkey from it
    assert "Create a passkey" not in page.text
    refused = h.client.post("/api/v1/passkeys/registration/options")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "passkey.fresh_face_session_required"


def test_registration_without_a_fresh_face_session_is_refused(h):
    citizen_id = make_citizen(h, id_number=ID_NUMBER, name=NAME)
    anonymous = h.client.post("/api/v1/passkeys/registration/options")
    assert anonymous.status_code == 403 and anonymous.json()["error"]["code"] == "passkey.fresh_face_session_required"

    sign_in_as(h, citizen_id)
    options = h.client.post("/api/v1/passkeys/registration/options").json()
    h.clock.advance(minutes=11)
    late = h.client.post("/api/v1/passkeys/registration/verify", json={
        "ceremony_id": options["ceremony_id"],
        "credential": SoftAuthenticator(origin="http://localhost:8000").create(options["publicKey"])})
    assert late.status_code == 403 and late.json()["error"]["code"] == "passkey.fresh_face_session_required"


def test_sign_in_rejections_are_typed(h, authenticator):
    sign_in_as(h, make_citizen(h, id_number=ID_NUMBER, name=NAME))
    assert register(h, authenticator).status_code == 201
    h.client.cookies.clear()

    wrong_origin = sign_in(h, authenticator, origin="http://localhost:9999")
    assert wrong_origin.status_code == 401
    assert wrong_origin.json()["error"] == {
        "code": "passkey.authentication_rejected", "message": wrong_origin.json()["error"]["message"],
        "detail": {"reason": "origin"}}
    no_uv = sign_in(h, authenticator, user_verified=False)
    assert no_uv.json()["error"]["detail"]["reason"] == "user_verification"

    stranger = SoftAuthenticator(origin=authenticator.origin)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "dXNlcg"}, "challenge": "Y2g"})
    unknown = sign_in(h, stranger)
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "passkey.unknown_credential"

    options = h.client.post("/api/v1/signin/options").json()
    first = h.client.post("/api/v1/signin/verify", json={
        "ceremony_id": options["ceremony_id"], "credential": authenticator.get(options["publicKey"])})
    assert first.status_code == 200
    replay = h.client.post("/api/v1/signin/verify", json={
        "ceremony_id": options["ceremony_id"], "credential": authenticator.get(options["publicKey"])})
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "passkey.ceremony_invalid"

    malformed = h.client.post("/api/v1/signin/verify", json={"ceremony_id": "x", "credential": "not an object"})
    assert malformed.status_code == 422 and malformed.json()["error"]["code"] == "request.invalid"


def test_sign_in_page_keeps_only_same_origin_next(h):
    kept = h.client.get("/signin", params={"next": "/oauth2/authorize?client_id=a&scope=openid%20age"})
    assert 'data-next="/oauth2/authorize?client_id=a&amp;scope=openid%20age"' in kept.text
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        page = h.client.get("/signin", params={"next": hostile})
        assert 'data-next="/account"' in page.text, hostile
    assert h.client.get("/account", follow_redirects=False).headers["location"] == "/signin?next=%2Faccount"


def test_sign_in_takes_json_only_so_another_site_cannot_post_one(h, authenticator):
    """Login CSRF: a page elsewhere can send text/plain or a form without a CORS preflight, but
    not application/json; the verify endpoint reads nothing else."""
    sign_in_as(h, make_citizen(h, id_number=ID_NUMBER, name=NAME))
    assert register(h, authenticator).status_code == 201
    h.client.cookies.clear()
    body = h.client.post("/api/v1/signin/options").json()
    payload = json.dumps({"ceremony_id": body["ceremony_id"], "credential": authenticator.get(body["publicKey"])})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = h.client.post("/api/v1/signin/verify", content=payload, headers={"content-type": content_type})
        assert response.status_code == 422 and COOKIE_NAME not in response.cookies, content_type


def test_sign_in_bodies_are_bounded_and_parsed_as_typed_errors(h):
    too_big = json.dumps({"ceremony_id": "x", "credential": {"pad": "a" * 70_000}}).encode()

    def chunks():  # no Content-Length: the limit must hold while reading
        yield too_big[:40_000]
        yield too_big[40_000:]

    for content in (too_big, chunks()):
        response = h.client.post("/api/v1/signin/verify", content=content,
                                 headers={"content-type": "application/json"})
        assert response.status_code == 413 and response.json()["error"]["code"] == "request.too_large"
        assert "at most" in response.json()["error"]["message"]
    not_json = h.client.post("/api/v1/signin/verify", content=b"{not json",
                             headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "request.invalid"
    assert not_json.json()["error"]["detail"][0]["loc"][0] == "body"
