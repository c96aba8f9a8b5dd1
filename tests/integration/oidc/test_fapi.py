"""FAPI 2.0 Security Profile clients (``fapi=True``): private_key_jwt only, pushed
authorization requests and DPoP always, codes living at most 60 s, ``iss`` in the
authorization response (RFC 9207)."""

from __future__ import annotations

import pytest

from civicid.oidc.errors import ClientInvalid

from .conftest import ISSUER, authorize_params, consent, make_rp, redirect_params
from .fapi import TOKEN_URL, USERINFO_URL, client_auth, dpop_proof, make_jwt_rp, new_key, push, token_request


def now_of(clock) -> int:
    return int(clock.now().timestamp())


@pytest.fixture
def fapi_rp(runtime):
    return make_jwt_rp(runtime, fapi=True)


def fapi_code(http, rp, key, clock, **params) -> dict[str, str]:
    pushed = push(http, rp, auth=client_auth(rp, key, now_of(clock)), **params)
    assert pushed.status_code == 201, pushed.text
    response = http.get("/oauth2/authorize", params={"client_id": rp.client_id,
                                                     "request_uri": pushed.json()["request_uri"]},
                        follow_redirects=False)
    if response.status_code == 200:
        response = consent(http, response)
    return redirect_params(response)


def fapi_token(http, rp, key, dpop_key, clock, code):
    auth = lambda: client_auth(rp, key, now_of(clock))  # noqa: E731  (a fresh assertion each time)
    first = token_request(http, rp, code, auth=None, proof=dpop_proof(dpop_key, "POST", TOKEN_URL, iat=now_of(clock)),
                          **auth())
    assert first.json()["error"] == "use_dpop_nonce"
    proof = dpop_proof(dpop_key, "POST", TOKEN_URL, iat=now_of(clock), nonce=first.headers["dpop-nonce"])
    return token_request(http, rp, code, auth=None, proof=proof, **auth())


def test_a_fapi_client_must_use_private_key_jwt(runtime):
    with pytest.raises(ClientInvalid):
        make_rp(runtime, redirect_uri="https://bank.example/cb", fapi=True)


def test_a_fapi_sign_in_with_par_dpop_and_private_key_jwt(client, fapi_rp, signed_in, clock):
    rp, key = fapi_rp
    dpop_key = new_key("dpop")
    params = fapi_code(client, rp, key, clock)
    assert params["iss"] == ISSUER  # RFC 9207
    tokens = fapi_token(client, rp, key, dpop_key, clock, params["code"])
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["token_type"] == "DPoP"
    access_token = tokens.json()["access_token"]
    proof = dpop_proof(dpop_key, "GET", USERINFO_URL, iat=now_of(clock), access_token=access_token)
    userinfo = client.get("/oauth2/userinfo", headers={"Authorization": f"DPoP {access_token}", "DPoP": proof})
    assert userinfo.status_code == 200 and userinfo.json()["verified"] is True


def test_a_fapi_client_cannot_skip_par(client, fapi_rp, signed_in):
    rp, _ = fapi_rp
    response = client.get("/oauth2/authorize", params=authorize_params(rp), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_a_fapi_client_cannot_get_bearer_tokens_and_keeps_its_code(client, fapi_rp, signed_in, clock):
    rp, key = fapi_rp
    code = fapi_code(client, rp, key, clock)["code"]
    bearer = token_request(client, rp, code, auth=None, **client_auth(rp, key, now_of(clock)))
    assert bearer.status_code == 400 and bearer.json()["error"] == "invalid_dpop_proof"
    assert fapi_token(client, rp, key, new_key(), clock, code).status_code == 200


def test_a_fapi_code_lives_60_seconds(client, fapi_rp, signed_in, clock):
    rp, key = fapi_rp
    code = fapi_code(client, rp, key, clock)["code"]
    clock.advance(seconds=61)
    late = fapi_token(client, rp, key, new_key(), clock, code)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_a_fapi_client_pushes_with_private_key_jwt_only(client, fapi_rp, clock):
    rp, key = fapi_rp
    response = push(client, rp, auth=(rp.client_id, "a-secret"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
