"""DPoP (RFC 9449) at the token and UserInfo endpoints: bound tokens (``token_type`` DPoP),
server nonces, proof checks, replay across worker processes, refresh-token binding and the
``WWW-Authenticate: DPoP`` challenges of §7.1."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey

from civicid.maintenance.service import PLAIN, delete_expired
from civicid.oidc.models import OidcDpopProof
from civicid.runtime import Runtime
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app

from .conftest import ISSUER, authorize_params, exchange, get_code, sign_in
from .fapi import PAR_URL, TOKEN_URL, USERINFO_URL, dpop_proof, new_key, token_request
from .test_par import by_reference, code_from


def now_of(clock) -> int:
    return int(clock.now().timestamp())


def nonce_of(http, rp, key, clock) -> str:
    """The server nonce, from a first token request without one (RFC 9449 §8)."""
    response = http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": "x",
                                                "redirect_uri": rp.redirect_uri, "code_verifier": "v" * 43},
                         auth=rp.auth, headers={"DPoP": dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock))})
    assert response.status_code == 400 and response.json()["error"] == "use_dpop_nonce"
    return response.headers["dpop-nonce"]


def dpop_exchange(http, rp, key, clock, *, code=None, scope="openid age", proof=None, **kw):
    code = code or get_code(http, rp, scope=scope, nonce=str(uuid.uuid4()))["code"]
    proof = proof or dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock), nonce=nonce_of(http, rp, key, clock))
    return token_request(http, rp, code, proof=proof, **kw)


def dpop_userinfo(http, key, clock, access_token, **kw):
    proof = dpop_proof(key, "GET", USERINFO_URL, iat=now_of(clock), access_token=access_token, **kw)
    return http.get("/oauth2/userinfo", headers={"Authorization": f"DPoP {access_token}", "DPoP": proof})


def test_a_proof_without_the_server_nonce_gets_one(client, rp, signed_in, clock):
    key = new_key()
    code = get_code(client, rp)["code"]
    first = token_request(client, rp, code, proof=dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock)))
    assert first.status_code == 400 and first.json()["error"] == "use_dpop_nonce" and first.headers["dpop-nonce"]
    retry = token_request(client, rp, code, proof=dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock),
                                                             nonce=first.headers["dpop-nonce"]))
    assert retry.status_code == 200, retry.text  # the code was not spent by the first attempt
    assert retry.json()["token_type"] == "DPoP" and retry.headers["dpop-nonce"]


def test_a_dpop_bound_token_reads_userinfo_with_a_proof_and_ath(client, rp, signed_in, clock):
    key = new_key()
    access_token = dpop_exchange(client, rp, key, clock).json()["access_token"]
    response = dpop_userinfo(client, key, clock, access_token)
    assert response.status_code == 200 and response.json()["age_over_18"] is True


def test_a_dpop_bound_token_sent_as_bearer_is_refused(client, rp, signed_in, clock):
    access_token = dpop_exchange(client, rp, new_key(), clock).json()["access_token"]
    response = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("DPoP ") and 'error="invalid_token"' in \
        response.headers["www-authenticate"]


@pytest.mark.parametrize("case", ["no_ath", "other_key", "other_htu", "other_htm", "no_proof"])
def test_userinfo_refuses_a_proof_that_does_not_match(client, rp, signed_in, clock, case):
    key = new_key()
    access_token = dpop_exchange(client, rp, key, clock).json()["access_token"]
    headers = {"Authorization": f"DPoP {access_token}"}
    iat = now_of(clock)
    if case != "no_proof":
        headers["DPoP"] = {
            "no_ath": lambda: dpop_proof(key, "GET", USERINFO_URL, iat=iat),
            "other_key": lambda: dpop_proof(new_key(), "GET", USERINFO_URL, iat=iat, access_token=access_token),
            "other_htu": lambda: dpop_proof(key, "GET", TOKEN_URL, iat=iat, access_token=access_token),
            "other_htm": lambda: dpop_proof(key, "POST", USERINFO_URL, iat=iat, access_token=access_token),
        }[case]()
    response = client.get("/oauth2/userinfo", headers=headers)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('DPoP algs="ES256') and 'error="invalid_dpop_proof"' in challenge


def test_a_userinfo_proof_is_accepted_once(client, rp, signed_in, clock):
    key = new_key()
    access_token = dpop_exchange(client, rp, key, clock).json()["access_token"]
    proof = dpop_proof(key, "GET", USERINFO_URL, iat=now_of(clock), access_token=access_token)
    headers = {"Authorization": f"DPoP {access_token}", "DPoP": proof}
    assert client.get("/oauth2/userinfo", headers=headers).status_code == 200
    assert client.get("/oauth2/userinfo", headers=headers).status_code == 401


def _bad_proof(case: str, key, nonce: str, iat: int) -> str:
    if case == "typ":
        return dpop_proof(key, "POST", TOKEN_URL, iat=iat, nonce=nonce, typ="JWT")
    if case == "hmac":
        secret = OctKey.generate_key(256)
        return jwt.encode({"typ": "dpop+jwt", "alg": "HS256", "jwk": secret.as_dict(private=False)},
                          {"jti": "j", "htm": "POST", "htu": TOKEN_URL, "iat": iat, "nonce": nonce}, secret)
    if case == "private_jwk":
        return dpop_proof(key, "POST", TOKEN_URL, iat=iat, nonce=nonce, jwk=key.as_dict(private=True))
    if case == "other_jwk":
        return dpop_proof(key, "POST", TOKEN_URL, iat=iat, nonce=nonce, jwk=new_key().as_dict(private=False))
    if case == "htu":
        return dpop_proof(key, "POST", USERINFO_URL, iat=iat, nonce=nonce)
    if case == "old":
        return dpop_proof(key, "POST", TOKEN_URL, iat=iat - 301, nonce=nonce)
    if case == "future":
        return dpop_proof(key, "POST", TOKEN_URL, iat=iat + 60, nonce=nonce)
    if case == "no_jti":
        return dpop_proof(key, "POST", TOKEN_URL, iat=iat, nonce=nonce, jti="")
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["typ", "hmac", "private_jwk", "other_jwk", "htu", "old", "future", "no_jti"])
def test_the_token_endpoint_refuses_a_bad_proof(client, rp, signed_in, clock, case):
    key = new_key()
    nonce = nonce_of(client, rp, key, clock)
    response = dpop_exchange(client, rp, key, clock, proof=_bad_proof(case, key, nonce, now_of(clock)))
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof", response.text


def test_two_dpop_headers_are_refused(client, rp, signed_in, clock):
    key = new_key()
    nonce = nonce_of(client, rp, key, clock)
    code = get_code(client, rp)["code"]
    proof = dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock), nonce=nonce)
    response = client.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                  "redirect_uri": rp.redirect_uri, "code_verifier": "v" * 20},
                           auth=rp.auth, headers=[("DPoP", proof), ("DPoP", proof)])
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof"


def test_the_nonce_lasts_one_more_window_then_expires(client, runtime, rp, citizen, clock):
    key = new_key()
    nonce = nonce_of(client, rp, key, clock)
    clock.advance(seconds=300)
    sign_in(client, runtime, citizen)
    proof = dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock), nonce=nonce)
    assert dpop_exchange(client, rp, key, clock, proof=proof).status_code == 200
    clock.advance(seconds=300)
    sign_in(client, runtime, citizen)
    proof = dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock), nonce=nonce)
    stale = dpop_exchange(client, rp, key, clock, proof=proof)
    assert stale.status_code == 400 and stale.json()["error"] == "use_dpop_nonce"


def test_a_replayed_proof_is_refused_even_by_another_worker(client, runtime, session_factory, rp, citizen, clock,
                                                           signed_in):
    key = new_key()
    proof = dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock), nonce=nonce_of(client, rp, key, clock))
    assert dpop_exchange(client, rp, key, clock, proof=proof).status_code == 200
    code = get_code(client, rp, nonce="second")["code"]
    other = Runtime(settings=runtime.settings, sessions=session_factory, keys=FakeKeyProvider(), clock=clock)
    with TestClient(create_app(other.settings, runtime=other), base_url=ISSUER) as second:
        replay = token_request(second, rp, code, proof=proof)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_dpop_proof"


def test_a_bound_refresh_token_needs_the_same_key(client, rp, signed_in, clock):
    key = new_key()
    tokens = dpop_exchange(client, rp, key, clock, scope="openid offline_access").json()
    nonce = nonce_of(client, rp, key, clock)
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    thief = dpop_proof(new_key(), "POST", TOKEN_URL, iat=now_of(clock), nonce=nonce)
    stolen = client.post("/oauth2/token", data=refresh, auth=rp.auth, headers={"DPoP": thief})
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_dpop_proof"
    bearer = client.post("/oauth2/token", data=refresh, auth=rp.auth)
    assert bearer.status_code == 400 and bearer.json()["error"] == "invalid_dpop_proof"
    own = dpop_proof(key, "POST", TOKEN_URL, iat=now_of(clock), nonce=nonce)
    renewed = client.post("/oauth2/token", data=refresh, auth=rp.auth, headers={"DPoP": own})
    assert renewed.status_code == 200 and renewed.json()["token_type"] == "DPoP"
    assert dpop_userinfo(client, key, clock, renewed.json()["access_token"]).status_code == 200


def test_bearer_tokens_stay_bearer_without_a_proof(client, rp, signed_in):
    response = exchange(client, rp, get_code(client, rp)["code"])
    assert response.json()["token_type"] == "Bearer" and "dpop-nonce" not in response.headers


def test_seen_proofs_are_pruned_when_expired(runtime, clock):
    assert any(table is OidcDpopProof.__table__ for table, _ in PLAIN)
    with runtime.transaction() as session:
        session.add(OidcDpopProof(jti_hash="old", expires_at=clock.now()))
    with runtime.transaction() as session:
        expired = dict((t, e) for t, e in PLAIN)[OidcDpopProof.__table__]
        assert delete_expired(session, OidcDpopProof.__table__, expired, now=clock.now()) == 1


# --- codes bound to a DPoP key (RFC 9449 §10) --------------------------------------------------

def _bound_code(client, rp, key, clock, how: str) -> str:
    if how == "dpop_jkt":
        return get_code(client, rp, nonce=str(uuid.uuid4()), dpop_jkt=key.thumbprint())["code"]
    proof = dpop_proof(key, "POST", PAR_URL, iat=now_of(clock))
    pushed = client.post("/oauth2/par", data=authorize_params(rp, nonce=str(uuid.uuid4())), auth=rp.auth,
                         headers={"DPoP": proof})
    assert pushed.status_code == 201, pushed.text
    return code_from(client, by_reference(client, rp, pushed.json()["request_uri"]))["code"]


@pytest.mark.parametrize("how", ["dpop_jkt", "par_proof"])
def test_a_code_bound_to_a_key_is_redeemed_only_with_it(client, rp, signed_in, clock, how):
    key = new_key()
    stolen = dpop_exchange(client, rp, new_key(), clock, code=_bound_code(client, rp, key, clock, how))
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_dpop_proof"
    bearer = token_request(client, rp, _bound_code(client, rp, key, clock, how))
    assert bearer.status_code == 400 and bearer.json()["error"] == "invalid_dpop_proof"
    own = dpop_exchange(client, rp, key, clock, code=_bound_code(client, rp, key, clock, how))
    assert own.status_code == 200 and own.json()["token_type"] == "DPoP"


def test_a_malformed_dpop_jkt_is_refused(client, rp, signed_in):
    params = get_code(client, rp, dpop_jkt="not-a-thumbprint")
    assert params["error"] == "invalid_request"
