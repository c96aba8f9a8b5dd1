"""The authorization code flow end to end over HTTP: PKCE, consent, ID token, userinfo, refresh."""

from __future__ import annotations

from datetime import date

import pytest
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet

from civicid.audit.events import EventTag
from civicid.audit.models import LogEntry
from civicid.oidc.pairwise import KEY_PURPOSE, pairwise_subject

from .conftest import (ACR, ISSUER, authorize_params, consent, exchange, get_code, make_citizen, redirect_params,
                       sign_in)


def validate_id_token(http, id_token: str, *, client_id: str, nonce: str, now: int) -> dict:
    keys = KeySet.import_key_set(http.get("/oauth2/jwks").json())
    token = jwt.decode(id_token, keys, algorithms=["ES256"])
    jwt.JWTClaimsRegistry(
        now=now, iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce}, exp={"essential": True}, iat={"essential": True},
        sub={"essential": True}, auth_time={"essential": True},
    ).validate(token.claims)
    assert token.header["alg"] == "ES256" and token.header["kid"]
    return token.claims


def test_full_code_flow_with_pkce(client, runtime, rp, citizen, signed_in, clock):
    page = client.get("/oauth2/authorize", params=authorize_params(rp, scope="openid age name birthdate"),
                      follow_redirects=False)
    assert page.status_code == 200 and page.headers["x-frame-options"] == "DENY"
    assert 'value="name"' in page.text and "checked" not in page.text.split('value="name"')[1].split(">")[0]

    params = redirect_params(consent(client, page, claims=["name"]))
    assert set(params) == {"code", "state", "iss"} and params["iss"] == ISSUER and params["state"] == "st-1"

    response = exchange(client, rp, params["code"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and "refresh_token" not in body  # no offline_access asked

    claims = validate_id_token(client, body["id_token"], client_id=rp.client_id, nonce="n-1",
                               now=int(clock.now().timestamp()))
    assert claims["acr"] == ACR and claims["amr"] == ["hwk", "user"]
    assert claims["auth_time"] == int(clock.now().timestamp())
    assert claims["verified"] is True and claims["age_over_14"] is True and claims["age_over_18"] is True
    assert claims["name"] == "Zhang Wei" and "birthdate" not in claims  # birthdate not ticked
    key = runtime.keys.hmac_key(KEY_PURPOSE)
    assert claims["sub"] == pairwise_subject(key, sector="forum.example", citizen_id=citizen)

    info = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.json() == {"sub": claims["sub"], "verified": True, "age_over_14": True, "age_over_18": True,
                           "name": "Zhang Wei", "acr": ACR, "amr": ["hwk", "user"], "auth_time": claims["auth_time"]}

    with runtime.sessions() as session:
        events = session.query(LogEntry).filter(LogEntry.citizen_ref == citizen).all()
    tags = [e.tag for e in events]
    assert tags.count(EventTag.RP_CITIZEN_CLAIMS_RELEASED.value) == 2
    assert tags.count(EventTag.RP_CITIZEN_CONSENT_GRANTED.value) == 1


def test_age_claims_without_birthdate(client, runtime, rp, clock):
    teen = make_citizen(runtime, id_number="11010520100101001X", name="Li Na", birth=date(2010, 11, 2))
    sign_in(client, runtime, teen)
    body = exchange(client, rp, get_code(client, rp, scope="openid age")["code"]).json()
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(client.get("/oauth2/jwks").json())).claims
    # 16th birthday is tomorrow (clock: 2026-11-01)
    assert (claims["age_over_14"], claims["age_over_18"]) == (True, False)
    assert "birthdate" not in claims and "name" not in claims


def test_consent_is_remembered_and_prompt_consent_asks_again(client, rp, signed_in):
    first = get_code(client, rp)
    assert "code" in first
    again = client.get("/oauth2/authorize", params=authorize_params(rp, nonce="n-2"), follow_redirects=False)
    assert again.status_code == 302 and "code=" in again.headers["location"]
    asked = client.get("/oauth2/authorize", params=authorize_params(rp, nonce="n-3", prompt="consent"),
                       follow_redirects=False)
    assert asked.status_code == 200 and "consent-allow" in asked.text
    # asking for more than was consented to shows the page again
    more = client.get("/oauth2/authorize", params=authorize_params(rp, nonce="n-4", scope="openid age name"),
                      follow_redirects=False)
    assert more.status_code == 200


def test_deny_returns_access_denied_with_state(client, rp, signed_in):
    page = client.get("/oauth2/authorize", params=authorize_params(rp), follow_redirects=False)
    params = redirect_params(consent(client, page, decision="deny"))
    assert (params["error"], params["state"], params["iss"]) == ("access_denied", "st-1", ISSUER)
    assert "code" not in params


def test_not_signed_in_goes_to_signin_and_back(client, rp, citizen, runtime):
    response = client.get("/oauth2/authorize", params=authorize_params(rp), follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("/signin?next=%2Foauth2%2Fauthorize%3F")
    none = client.get("/oauth2/authorize", params=authorize_params(rp, prompt="none"), follow_redirects=False)
    assert redirect_params(none)["error"] == "login_required"


def test_prompt_login_and_max_age_force_a_new_sign_in(client, rp, signed_in, clock):
    login = client.get("/oauth2/authorize", params=authorize_params(rp, prompt="login"), follow_redirects=False)
    assert login.status_code == 302 and login.headers["location"].startswith("/signin?next=")
    assert "prompt" not in login.headers["location"]  # coming back must not loop
    get_code(client, rp)
    clock.advance(seconds=120)
    old = client.get("/oauth2/authorize", params=authorize_params(rp, nonce="n-9", max_age="60"),
                     follow_redirects=False)
    assert old.headers["location"].startswith("/signin?next=")
    fresh = client.get("/oauth2/authorize", params=authorize_params(rp, nonce="n-9", max_age="600"),
                       follow_redirects=False)
    assert "code=" in fresh.headers["location"]


def test_refresh_rotation_and_reuse_detection(client, rp, signed_in):
    tokens = exchange(client, rp, get_code(client, rp, scope="openid age offline_access")["code"]).json()
    first = tokens["refresh_token"]
    rotated = client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": first}, auth=rp.auth)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    assert second != first
    # the old refresh token is dead, and presenting it again kills the whole family
    reuse = client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": first}, auth=rp.auth)
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    after = client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": second}, auth=rp.auth)
    assert after.json()["error"] == "invalid_grant"
    info = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {rotated.json()['access_token']}"})
    assert info.status_code == 401


def test_revoking_consent_invalidates_refresh_and_access_tokens(client, rp, signed_in):
    tokens = exchange(client, rp, get_code(client, rp, scope="openid offline_access")["code"]).json()
    listed = client.get("/api/v1/me/consents").json()["consents"]
    assert [(c["client_id"], c["claims"]) for c in listed] == [(rp.client_id, ["sub", "verified", "offline_access"])]
    assert client.delete(f"/api/v1/me/consents/{rp.client_id}").status_code == 204
    assert client.get("/api/v1/me/consents").json() == {"consents": []}
    refresh = client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                          auth=rp.auth)
    assert refresh.json()["error"] == "invalid_grant"
    info = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401
    # and the consent page comes back
    page = client.get("/oauth2/authorize", params=authorize_params(rp, nonce="n-5"), follow_redirects=False)
    assert page.status_code == 200
    missing = client.delete(f"/api/v1/me/consents/{rp.client_id}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "oidc.consent_not_found"


def test_consent_api_needs_a_signed_in_citizen(client):
    response = client.get("/api/v1/me/consents")
    assert response.status_code == 401 and response.json()["error"]["code"] == "oidc.sign_in_required"


def test_discovery_document(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]  # ES256 the default
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "private_key_jwt"]
    assert set(doc["scopes_supported"]) == {"openid", "age", "name", "birthdate", "offline_access"}
    assert {"verified", "age_over_14", "age_over_18", "name", "birthdate"} <= set(doc["claims_supported"])
    assert doc["acr_values_supported"] == [ACR]
    for endpoint in ("token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"):
        assert doc[endpoint].startswith(ISSUER + "/oauth2/")


def test_authlib_client_side_validation_accepts_the_id_token(client, rp, signed_in, clock):
    """A third-party check: Authlib's client-side ``CodeIDToken`` (at_hash, nonce, aud, iss, exp)."""
    tokens = exchange(client, rp, get_code(client, rp, nonce="abc")["code"]).json()
    decoded = jwt.decode(tokens["id_token"], KeySet.import_key_set(client.get("/oauth2/jwks").json()),
                         algorithms=["ES256"])
    claims = CodeIDToken(decoded.claims, decoded.header,
                         options={"iss": {"value": ISSUER}, "aud": {"values": [rp.client_id]}},
                         params={"nonce": "abc", "client_id": rp.client_id, "access_token": tokens["access_token"]})
    claims.validate(now=int(clock.now().timestamp()))
    assert claims["at_hash"]
    tampered = CodeIDToken(decoded.claims, decoded.header, params={"nonce": "abc", "access_token": "other"})
    with pytest.raises(InvalidClaimError):
        tampered.validate(now=int(clock.now().timestamp()))


def test_a_failed_audit_append_leaves_the_code_unredeemed(client, rp, signed_in, monkeypatch):
    """All or nothing: no token exists unless its claim release was recorded, and the client can retry."""
    from civicid.audit.errors import AppendConflict
    from civicid.oidc.disclosures import Disclosures

    code = get_code(client, rp)["code"]
    original = Disclosures.claims_released

    def conflict(self, *args, **kwargs):
        raise AppendConflict()

    monkeypatch.setattr(Disclosures, "claims_released", conflict)
    failed = exchange(client, rp, code)
    assert failed.status_code == 409 and failed.json()["error"]["code"] == "audit.append_conflict"
    monkeypatch.setattr(Disclosures, "claims_released", original)
    assert exchange(client, rp, code).status_code == 200
