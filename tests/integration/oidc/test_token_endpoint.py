"""What the token endpoint refuses beyond the grants' own checks: more than one way of
authenticating, a ``client_id`` of another client, missing required parameters, and
long-lived client assertions."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from .conftest import VERIFIER, authorize_params, exchange, get_code, make_rp, redirect_params
from .test_security import TOKEN_URL, assertion, jwt_exchange

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def jwt_rp(runtime):
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-key-1"})
    rp = make_rp(runtime, redirect_uri="https://bank.example/cb", token_endpoint_auth_method="private_key_jwt",
                 jwks={"keys": [key.as_dict(private=False)]})
    return rp, key


def now_of(clock) -> int:
    return int(clock.now().timestamp())


# --- one client authentication method per request (RFC 6749 §2.3, §5.2) -----------------------

@pytest.mark.parametrize("body_secret", ["wrong-secret", None])
def test_basic_and_a_body_secret_together_are_refused(client, rp, signed_in, body_secret):
    code = get_code(client, rp)["code"]
    response = exchange(client, rp, code, client_secret=body_secret or rp.secret)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert exchange(client, rp, code).status_code == 200  # the code was not spent


def test_basic_and_a_client_assertion_together_are_refused(client, rp, jwt_rp, signed_in, clock):
    jwt_client, key = jwt_rp
    code = get_code(client, rp)["code"]
    response = exchange(client, rp, code, client_assertion_type=ASSERTION_TYPE,
                        client_assertion=assertion(jwt_client.client_id, key, now_of(clock)))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_client_assertion_and_a_body_secret_together_are_refused(client, jwt_rp, signed_in, clock):
    rp, key = jwt_rp
    code = get_code(client, rp)["code"]
    response = exchange(client, rp, code, auth=None, client_id=rp.client_id, client_secret="x",
                        client_assertion_type=ASSERTION_TYPE, client_assertion=assertion(rp.client_id, key, now_of(clock)))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# --- client_id must name the authenticated client (RFC 7521 §4.2) -------------------------------

def test_an_assertion_for_one_client_with_the_client_id_of_another_is_refused(client, runtime, jwt_rp, signed_in,
                                                                               clock):
    rp, key = jwt_rp
    other = make_rp(runtime, redirect_uri="https://shop.example/cb")
    code = get_code(client, rp)["code"]
    response = exchange(client, rp, code, auth=None, client_id=other.client_id,
                        client_assertion_type=ASSERTION_TYPE, client_assertion=assertion(rp.client_id, key, now_of(clock)))
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_basic_with_the_client_id_of_another_client_is_refused(client, runtime, rp, signed_in):
    other = make_rp(runtime, redirect_uri="https://shop.example/cb")
    code = get_code(client, rp)["code"]
    response = exchange(client, rp, code, client_id=other.client_id)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert exchange(client, rp, code, client_id=rp.client_id).status_code == 200  # its own id is fine


def test_a_repeated_client_id_naming_two_clients_is_refused(client, runtime, rp, signed_in):
    other = make_rp(runtime, redirect_uri="https://shop.example/cb")
    code = get_code(client, rp)["code"]
    body = urlencode([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", rp.redirect_uri),
                      ("code_verifier", VERIFIER), ("client_id", rp.client_id), ("client_id", other.client_id)])
    response = client.post("/oauth2/token", auth=rp.auth, content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code in (400, 401) and response.json()["error"] in ("invalid_client", "invalid_request")


# --- missing required parameters: invalid_request (RFC 6749 §4.1.1, §4.1.3, §5.2) ---------------

def test_missing_grant_type_is_an_invalid_request(client, rp, signed_in):
    code = get_code(client, rp)["code"]
    response = client.post("/oauth2/token", auth=rp.auth, data={"code": code, "redirect_uri": rp.redirect_uri})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_an_unknown_grant_type_stays_unsupported(client, rp):
    response = client.post("/oauth2/token", auth=rp.auth, data={"grant_type": "password"})
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_missing_response_type_is_an_invalid_request_sent_to_the_client(client, rp, signed_in):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, response_type=None),
                          follow_redirects=False)
    params = redirect_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "st-1" and "code" not in params


def test_missing_response_type_with_an_unregistered_redirect_uri_is_a_page(client, rp, signed_in):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, response_type=None,
                                                                       redirect_uri="https://evil.example/cb"),
                          follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers
    assert 'data-error="invalid_request"' in response.text


# --- client assertions live at most five minutes (RFC 7523 §3 items 4 and 7) ---------------------

def signed_assertion(rp_id: str, key, claims: dict) -> str:
    base = {"iss": rp_id, "sub": rp_id, "aud": TOKEN_URL, "jti": str(uuid.uuid4())}
    return jwt.encode({"alg": "ES256", "kid": key.kid}, {**base, **claims}, key)


@pytest.mark.parametrize("lifetime", [{"exp": 3600}, {"iat": 0, "exp": 301}, {"iat": -3000, "exp": 60}])
def test_a_long_lived_client_assertion_is_refused(client, jwt_rp, signed_in, clock, lifetime):
    rp, key = jwt_rp
    now = now_of(clock)
    claims = {name: now + offset for name, offset in lifetime.items()}
    response = jwt_exchange(client, rp, get_code(client, rp)["code"], signed_assertion(rp.client_id, key, claims))
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("lifetime", [{"exp": 300}, {"iat": 0, "exp": 300}, {"iat": -60, "exp": 240}])
def test_a_client_assertion_of_five_minutes_is_accepted(client, jwt_rp, signed_in, clock, lifetime):
    rp, key = jwt_rp
    now = now_of(clock)
    claims = {name: now + offset for name, offset in lifetime.items()}
    response = jwt_exchange(client, rp, get_code(client, rp)["code"], signed_assertion(rp.client_id, key, claims))
    assert response.status_code == 200, response.text
