"""Schema fuzzing: schemathesis generates requests from CivicID's own OpenAPI document (every
operation in it, the hand-documented sign-in routes included), valid ones and invalid ones, and
sends them to the app in process on the real store (SQLite and PostgreSQL). No answer may be a
5xx, and every error of the /api/ routes must be CivicID's typed JSON error (DESIGN.md principle 7).

Deterministic: Hypothesis derandomized with a pinned seed, the harness's clock and randomness
fixed. ``CIVICID_FUZZ_EXAMPLES`` sets the fuzzing phase's examples per operation and generation
mode (the examples and coverage phases add their own); ``make fuzz`` runs the long version, and
the summary at the end of the run counts the cases sent.
"""

from __future__ import annotations

import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python.asgi import ASGIClient

from civicid.identity.sessions import COOKIE_NAME
from civicid.settings import Settings
from civicid.web.app import create_app
from civicid.web.openapi import plain_route_keys

from .world import CITIZEN_ID_NUMBER, CITIZEN_NAME, REDIRECT_URI, VERIFIER, World, build_world

EXAMPLES = int(os.environ.get("CIVICID_FUZZ_EXAMPLES", "100"))
SEED = 20261102


def _document() -> dict:
    """The document the app serves at /openapi.json (built without a runtime: nothing starts)."""
    with tempfile.TemporaryDirectory() as home:
        return create_app(Settings(home=home, environment="test", demo=True, api_docs=True)).openapi()


schema = schemathesis.openapi.from_dict(_document(), config=schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
}))


@pytest.fixture
def world(harness_factory, record_property) -> World:
    built = build_world(harness_factory)
    built.asgi = ASGIClient(built.h.client.app, base_url="http://localhost:8000")
    yield built
    record_property("fuzz_cases", built.cases)
    record_property("fuzz_statuses", dict(sorted(built.statuses.items())))


# --- credentials and real values, put into the generated cases ---------------------------------

def _form(case) -> dict | None:
    return case.body if isinstance(case.body, dict) else None


def aim(case, world: World) -> dict[str, str]:
    """Credentials in four cases of five, real ids in every other one; returns the cookies."""
    n = world.cases
    credentials, real = n % 5 != 4, n % 2 == 0
    path, method, body = case.operation.path, case.method.upper(), _form(case)
    cookies = {}
    if credentials and (path.startswith(("/api/v1/me", "/api/v1/passkeys")) or path == "/api/v1/signout"):
        cookies[COOKIE_NAME] = world.session_token
    if credentials and path.startswith("/api/v1/staff"):
        token = world.auditor if path.endswith("/summary") else world.officer
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if credentials and path.startswith("/api/v1/verifications"):
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        world.auth = world.partner
    if credentials and path == "/oauth2/userinfo":
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {world.access_token}"}
    if not real:
        return cookies
    if path == "/api/v1/enrolments/{session_id}/frames":
        case.path_parameters = {**(case.path_parameters or {}), "session_id": world.enrolment_session()}
    elif path == "/api/v1/recovery/{session_id}/frames":
        case.path_parameters = {**(case.path_parameters or {}), "session_id": world.recovery_session()}
    elif path == "/api/v1/me/consents/{client_id}":
        case.path_parameters = {**(case.path_parameters or {}), "client_id": world.rp[0]}
    elif path == "/api/v1/signin/verify" and body is not None:
        body["ceremony_id"] = world.ceremony_id()
    elif path == "/api/v1/passkeys/registration/verify" and body is not None:
        body["ceremony_id"] = world.registration_ceremony_id()
    elif path == "/api/v1/verifications" and body is not None:
        body.update(challenge_id=world.partner_challenge(), id_number=CITIZEN_ID_NUMBER)
    elif path == "/api/v1/staff/citizen-reads" and body is not None:
        body.update(id_number=CITIZEN_ID_NUMBER, case_reference="CASE-2026-117")
    elif path in ("/api/v1/enrolments", "/api/v1/recovery") and body is not None:
        body["id_number"] = CITIZEN_ID_NUMBER
        if n % 4 == 0:
            body["name"] = CITIZEN_NAME
    elif path == "/oauth2/token" and body is not None:
        if body.get("grant_type") == "refresh_token":
            body["refresh_token"] = world.tokens().get("refresh_token", "")
        else:
            body.update(code=world.code(), redirect_uri=REDIRECT_URI)
            if n % 4 == 0:
                body["code_verifier"] = VERIFIER
    elif path == "/oauth2/userinfo" and method == "POST" and body is not None:
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        body["access_token"] = world.access_token  # RFC 6750 §2.2: in the body instead
    elif path == "/oauth2/authorize":
        cookies[COOKIE_NAME] = world.session_token
        case.query = {**(case.query or {}), "client_id": world.rp[0], "redirect_uri": REDIRECT_URI}
    return cookies


def _is_typed_error(response) -> bool:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck))
def test_no_server_error(case, world):
    world.auth = None
    cookies = aim(case, world)
    world.asgi.cookies.clear()
    response = case.call(app=world.asgi.app, session=world.asgi, cookies=cookies, auth=world.auth)
    world.cases += 1
    world.statuses[response.status_code] = world.statuses.get(response.status_code, 0) + 1
    reproduce = case.as_curl_command(headers=dict(response.request.headers), base_url="http://localhost:8000")
    assert response.status_code < 500, f"{response.status_code} {response.text[:500]}\n{reproduce}"
    if response.status_code >= 400 and case.operation.path.startswith("/api/"):
        assert _is_typed_error(response), f"untyped error {response.status_code} {response.text[:500]}\n{reproduce}"


def test_the_served_document_has_the_plain_sign_in_routes(harness_factory):
    client = harness_factory(api_docs=True).client
    document = client.get("/openapi.json").json()
    assert document == _document()
    plain = plain_route_keys(client.app)
    assert {("POST", "/api/v1/signin/options"), ("POST", "/api/v1/signin/verify"), ("GET", "/oauth2/authorize"),
            ("POST", "/oauth2/token"), ("GET", "/oauth2/userinfo"), ("POST", "/oauth2/userinfo")} <= plain
    for method, path in plain:
        operation = document["paths"][path][method.lower()]
        assert operation["responses"] and operation["summary"], (method, path)
    verify = document["paths"]["/api/v1/signin/verify"]["post"]
    assert verify["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CeremonyResponse"}
    assert "CeremonyResponse" in document["components"]["schemas"]
    token = document["paths"]["/oauth2/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    for upload in ("/api/v1/enrolments/{session_id}/frames", "/api/v1/recovery/{session_id}/frames",
                   "/api/v1/verifications"):
        assert "multipart/form-data" in document["paths"][upload]["post"]["requestBody"]["content"], upload
