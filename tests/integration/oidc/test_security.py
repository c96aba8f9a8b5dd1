"""RFC 9700 (OAuth 2.0 Security BCP) cases, each one refused."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from .conftest import (ISSUER, VERIFIER, authorize_params, exchange, get_code, make_rp, redirect_params)

TOKEN_URL = ISSUER + "/oauth2/token"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bearer(http, access_token: str):
    return http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})


# --- authorization codes ---------------------------------------------------------------------

def test_code_replay_is_refused_and_revokes_the_tokens_it_gave(client, rp, signed_in):
    code = get_code(client, rp, scope="openid offline_access")["code"]
    first = exchange(client, rp, code)
    assert first.status_code == 200
    assert bearer(client, first.json()["access_token"]).status_code == 200

    replay = exchange(client, rp, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert bearer(client, first.json()["access_token"]).status_code == 401
    refresh = client.post("/oauth2/token", auth=rp.auth,
                          data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]})
    assert refresh.json()["error"] == "invalid_grant"


def test_expired_code(client, rp, signed_in, clock):
    code = get_code(client, rp)["code"]
    clock.advance(seconds=61)
    response = exchange(client, rp, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_code_within_its_60_seconds(client, rp, signed_in, clock):
    code = get_code(client, rp)["code"]
    clock.advance(seconds=59)
    assert exchange(client, rp, code).status_code == 200


def test_code_used_by_another_client(client, runtime, rp, signed_in):
    other = make_rp(runtime, redirect_uri="https://shop.example/cb")
    code = get_code(client, rp)["code"]
    stolen = exchange(client, other, code, redirect_uri=rp.redirect_uri)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert exchange(client, rp, code).status_code == 200  # the rightful client is not locked out


def test_wrong_client_secret(client, rp, signed_in):
    code = get_code(client, rp)["code"]
    response = exchange(client, rp, code, auth=(rp.client_id, "not-the-secret"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


# --- redirect URIs -------------------------------------------------------------------------------

@pytest.mark.parametrize("uri", ["https://forum.example/callback/", "https://forum.example/callback?x=1",
                                 "https://forum.example.evil.test/callback", "https://FORUM.example/callback"])
def test_unregistered_redirect_uri_is_never_followed(client, rp, signed_in, uri):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, redirect_uri=uri), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers
    assert 'data-error="invalid_request"' in response.text


def test_missing_redirect_uri_is_refused(client, rp, signed_in):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, redirect_uri=None), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_redirect_uri_mismatch_at_the_token_endpoint(client, runtime, signed_in):
    two = make_rp(runtime, redirect_uri="https://forum.example/a")
    with runtime.transaction() as session:
        from civicid.oidc.models import OidcClient

        session.get(OidcClient, two.client_id).redirect_uris = json.dumps(["https://forum.example/a",
                                                                          "https://forum.example/b"])
    code = get_code(client, two)["code"]
    response = exchange(client, two, code, redirect_uri="https://forum.example/b")
    assert response.json()["error"] == "invalid_grant"


# --- PKCE (RFC 7636, RFC 9700 §2.1.1) ---------------------------------------------------------------

def test_missing_code_verifier(client, rp, signed_in):
    response = exchange(client, rp, get_code(client, rp)["code"], verifier=None)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_wrong_code_verifier(client, rp, signed_in):
    response = exchange(client, rp, get_code(client, rp)["code"], verifier="w" * 60)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("extra", [
    {"code_challenge_method": "plain", "code_challenge": VERIFIER},
    {"code_challenge_method": None},
    {"code_challenge": None, "code_challenge_method": None},
])
def test_plain_or_missing_pkce_is_refused(client, rp, signed_in, extra):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, **extra), follow_redirects=False)
    params = redirect_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "st-1" and "code" not in params


# --- response types --------------------------------------------------------------------------------

@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token"])
def test_implicit_and_hybrid_are_refused(client, rp, signed_in, response_type):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, response_type=response_type),
                          follow_redirects=False)
    params = redirect_params(response)
    assert params["error"] == "unsupported_response_type" and "#" not in response.headers["location"]


def test_request_objects_are_refused(client, rp, signed_in):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, request="eyJ.x.y"), follow_redirects=False)
    assert redirect_params(response)["error"] == "request_not_supported"


def test_openid_scope_is_required(client, rp, signed_in):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, scope="age"), follow_redirects=False)
    assert redirect_params(response)["error"] == "invalid_scope"


# --- state and nonce ---------------------------------------------------------------------------------

def test_state_and_nonce_are_echoed_exactly(client, rp, signed_in):
    state = "a b+c/d=e&f?g%20h~é✓"
    nonce = "N-0nce with spaces & ünicode +/="
    params = get_code(client, rp, state=state, nonce=nonce)
    assert params["state"] == state
    token = exchange(client, rp, params["code"]).json()
    assert jwt.decode(token["id_token"], KeySet.import_key_set(client.get("/oauth2/jwks").json())).claims["nonce"] == nonce


def test_a_nonce_seen_before_is_a_replay(client, rp, signed_in):
    get_code(client, rp, nonce="same")
    response = client.get("/oauth2/authorize", params=authorize_params(rp, nonce="same"), follow_redirects=False)
    assert redirect_params(response)["error"] == "invalid_request"


# --- alg none and foreign keys ----------------------------------------------------------------------

@pytest.fixture
def jwt_client(runtime):
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-key-1"})
    rp = make_rp(runtime, redirect_uri="https://bank.example/cb", token_endpoint_auth_method="private_key_jwt",
                 jwks={"keys": [key.as_dict(private=False)]})
    return rp, key


def assertion(client_id: str, key, now: int, *, alg="ES256", aud=TOKEN_URL, jti=None) -> str:
    claims = {"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 60,
              "jti": jti or str(uuid.uuid4())}
    if alg == "none":
        return f"{b64({'alg': 'none'})}.{b64(claims)}."
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def jwt_exchange(http, rp, code, client_assertion):
    return exchange(http, rp, code, auth=None, client_id=rp.client_id, client_assertion=client_assertion,
                    client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer")


def test_private_key_jwt_client_signs_in_and_assertions_are_single_use(client, jwt_client, signed_in, clock):
    rp, key = jwt_client
    now = int(clock.now().timestamp())
    assert rp.secret is None
    signed = assertion(rp.client_id, key, now, jti="once")
    ok = jwt_exchange(client, rp, get_code(client, rp)["code"], signed)
    assert ok.status_code == 200, ok.text
    replayed = jwt_exchange(client, rp, get_code(client, rp, nonce="n-2")["code"], signed)
    # RFC 6749 §5.2: 400 for invalid_client when no Authorization header was used
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_client"
    by_issuer = jwt_exchange(client, rp, get_code(client, rp, nonce="n-3")["code"],
                             assertion(rp.client_id, key, now, aud=ISSUER))
    assert by_issuer.status_code == 200


def test_client_assertion_with_alg_none_is_refused(client, jwt_client, signed_in, clock):
    rp, key = jwt_client
    forged = assertion(rp.client_id, key, int(clock.now().timestamp()), alg="none")
    response = jwt_exchange(client, rp, get_code(client, rp)["code"], forged)
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_client_assertion_signed_with_a_foreign_key_is_refused(client, jwt_client, signed_in, clock):
    rp, _ = jwt_client
    foreign = ECKey.generate_key("P-256", parameters={"kid": "rp-key-1"})  # same kid, other key
    response = jwt_exchange(client, rp, get_code(client, rp)["code"],
                            assertion(rp.client_id, foreign, int(clock.now().timestamp())))
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_expired_client_assertion_is_refused(client, jwt_client, signed_in, clock):
    rp, key = jwt_client
    stale = assertion(rp.client_id, key, int(clock.now().timestamp()) - 600)
    assert jwt_exchange(client, rp, get_code(client, rp)["code"], stale).json()["error"] == "invalid_client"


def test_secret_client_cannot_use_an_assertion_and_jwt_client_cannot_use_basic(client, rp, jwt_client, signed_in):
    jwt_rp, _ = jwt_client
    response = exchange(client, jwt_rp, get_code(client, jwt_rp)["code"], auth=(jwt_rp.client_id, "guess"))
    assert response.status_code == 401


def test_userinfo_refuses_forged_and_missing_tokens(client, signed_in, clock):
    foreign = ECKey.generate_key("P-256")
    now = int(clock.now().timestamp())
    forged = jwt.encode({"alg": "ES256"}, {"iss": ISSUER, "sub": "x", "exp": now + 60, "scope": "openid"}, foreign)
    for token in (forged, f"{b64({'alg': 'none'})}.{b64({'sub': 'x'})}.", "random-token"):
        response = bearer(client, token)
        assert response.status_code == 401 and response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].lower().startswith("bearer")
    missing = client.get("/oauth2/userinfo")
    assert missing.status_code == 401


def test_userinfo_refuses_an_expired_access_token(client, rp, signed_in, clock):
    token = exchange(client, rp, get_code(client, rp)["code"]).json()["access_token"]
    clock.advance(seconds=901)
    assert bearer(client, token).status_code == 401


def test_id_token_hint_with_alg_none_or_a_foreign_key_is_refused_at_logout(client, rp, signed_in, clock):
    now = int(clock.now().timestamp())
    claims = {"iss": ISSUER, "aud": rp.client_id, "sub": "x", "iat": now, "exp": now + 60}
    foreign = jwt.encode({"alg": "ES256"}, claims, ECKey.generate_key("P-256"))
    for hint in (f"{b64({'alg': 'none'})}.{b64(claims)}.", foreign):
        response = client.get("/oauth2/logout", params={"id_token_hint": hint, "state": "s",
                                                         "post_logout_redirect_uri": "https://forum.example/bye"},
                              follow_redirects=False)
        assert response.status_code == 400 and "location" not in response.headers
