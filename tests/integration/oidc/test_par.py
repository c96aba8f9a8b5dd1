"""Pushed authorization requests (RFC 9126): the PAR endpoint, one-time short-lived
``request_uri`` values, the authorization endpoint taking only ``client_id`` + ``request_uri``,
and clients that must push (``require_pushed_authorization_requests``)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from civicid.runtime import Runtime
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app

from .conftest import ISSUER, consent, exchange, make_rp, redirect_params, sign_in
from .fapi import push

PREFIX = "urn:ietf:params:oauth:request_uri:"


def by_reference(http, rp, request_uri, **extra):
    return http.get("/oauth2/authorize", params={"client_id": rp.client_id, "request_uri": request_uri, **extra},
                    follow_redirects=False)


def code_from(http, response, **kw) -> dict[str, str]:
    if response.status_code == 200:
        response = consent(http, response, **kw)
    return redirect_params(response)


def test_discovery_advertises_par_and_dpop(client):
    metadata = client.get("/.well-known/openid-configuration").json()
    assert metadata["pushed_authorization_request_endpoint"] == ISSUER + "/oauth2/par"
    assert metadata["require_pushed_authorization_requests"] is False
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True


def test_a_pushed_request_signs_in_by_reference(client, rp, signed_in):
    pushed = push(client, rp, state="pushed-state", nonce="pushed-nonce")
    assert pushed.status_code == 201, pushed.text
    body = pushed.json()
    assert body["request_uri"].startswith(PREFIX) and body["expires_in"] == 60
    assert pushed.headers["cache-control"] == "no-store"
    params = code_from(client, by_reference(client, rp, body["request_uri"]))
    assert params["state"] == "pushed-state" and params["iss"] == ISSUER  # RFC 9207
    tokens = exchange(client, rp, params["code"])
    assert tokens.status_code == 200, tokens.text


def test_the_request_uri_is_one_time(client, rp, signed_in):
    request_uri = push(client, rp).json()["request_uri"]
    assert "code" in code_from(client, by_reference(client, rp, request_uri))
    again = by_reference(client, rp, request_uri)
    assert again.status_code == 400 and "invalid_request_uri" in again.text


def test_the_request_uri_expires_after_60_seconds(client, rp, signed_in, clock):
    request_uri = push(client, rp).json()["request_uri"]
    clock.advance(seconds=61)
    late = by_reference(client, rp, request_uri)
    assert late.status_code == 400 and "invalid_request_uri" in late.text


def test_a_visit_in_time_leaves_the_citizen_time_to_sign_in(client, runtime, rp, citizen, clock):
    request_uri = push(client, rp).json()["request_uri"]
    first = by_reference(client, rp, request_uri)
    assert first.status_code == 302 and first.headers["location"].startswith("/signin?next=")
    clock.advance(seconds=120)
    sign_in(client, runtime, citizen)
    assert "code" in code_from(client, by_reference(client, rp, request_uri))


def test_parameters_beside_the_request_uri_are_ignored(client, rp, signed_in):
    request_uri = push(client, rp, state="pushed").json()["request_uri"]
    response = by_reference(client, rp, request_uri, redirect_uri="https://evil.example/cb", state="forged",
                            scope="openid name")
    params = code_from(client, response)
    assert response.status_code == 200 or response.headers["location"].startswith(rp.redirect_uri)
    assert params["state"] == "pushed"


def test_the_request_uri_of_another_client_is_refused(client, runtime, rp, signed_in):
    other = make_rp(runtime, redirect_uri="https://shop.example/cb")
    request_uri = push(client, rp).json()["request_uri"]
    response = by_reference(client, other, request_uri)
    assert response.status_code == 400 and "invalid_request_uri" in response.text
    assert "code" in code_from(client, by_reference(client, rp, request_uri))  # still the rightful client's


def test_an_unknown_request_uri_is_refused(client, rp, signed_in):
    response = by_reference(client, rp, PREFIX + "made-up")
    assert response.status_code == 400 and "invalid_request_uri" in response.text


def test_par_needs_client_authentication(client, rp):
    response = push(client, rp, auth=(rp.client_id, "wrong"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_par_checks_the_request_and_answers_json_not_a_redirect(client, rp):
    response = push(client, rp, code_challenge=None)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert "location" not in response.headers
    unregistered = push(client, rp, redirect_uri="https://evil.example/cb")
    assert unregistered.status_code == 400 and "location" not in unregistered.headers


def test_par_refuses_a_request_uri_parameter(client, rp):
    response = push(client, rp, request_uri=PREFIX + "x")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_client_that_must_push_is_refused_a_plain_request(client, runtime, signed_in):
    rp = make_rp(runtime, redirect_uri="https://gov.example/cb", require_pushed_authorization_requests=True)
    from .conftest import authorize_params
    plain = client.get("/oauth2/authorize", params=authorize_params(rp), follow_redirects=False)
    assert plain.status_code == 400 and "invalid_request" in plain.text
    request_uri = push(client, rp).json()["request_uri"]
    assert "code" in code_from(client, by_reference(client, rp, request_uri))


def test_prompt_login_in_a_pushed_request_asks_once(client, runtime, rp, citizen, clock):
    sign_in(client, runtime, citizen)
    request_uri = push(client, rp, prompt="login").json()["request_uri"]
    first = by_reference(client, rp, request_uri)
    assert first.status_code == 302 and first.headers["location"].startswith("/signin?next=")
    clock.advance(seconds=5)
    sign_in(client, runtime, citizen)
    assert "code" in code_from(client, by_reference(client, rp, request_uri))


def test_denying_consent_spends_the_request_uri(client, rp, signed_in):
    request_uri = push(client, rp).json()["request_uri"]
    denied = consent(client, by_reference(client, rp, request_uri), decision="deny")
    assert redirect_params(denied)["error"] == "access_denied"
    assert by_reference(client, rp, request_uri).status_code == 400


def test_the_request_uri_works_on_another_worker_process(client, runtime, session_factory, rp, citizen, clock):
    """State lives in the database: a second app (another worker) reads what the first stored."""
    request_uri = push(client, rp).json()["request_uri"]
    other = Runtime(settings=runtime.settings, sessions=session_factory, keys=FakeKeyProvider(), clock=clock)
    with TestClient(create_app(other.settings, runtime=other), base_url=ISSUER) as second:
        sign_in(second, other, citizen)
        assert "code" in code_from(second, by_reference(second, rp, request_uri))
    assert by_reference(client, rp, request_uri).status_code == 400


def test_prompt_none_can_be_pushed_and_is_decided_at_the_authorization_endpoint(client, rp, signed_in):
    pushed = push(client, rp, prompt="none")
    assert pushed.status_code == 201, pushed.text
    params = redirect_params(by_reference(client, rp, pushed.json()["request_uri"]))
    assert params["error"] == "consent_required" and params["iss"] == ISSUER
