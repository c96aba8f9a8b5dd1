"""The demo forum's back-channel logout receiver (OpenID Back-Channel Logout 1.0 §2.6-2.8), fed by
CivicID's own outbox when a citizen withdraws consent."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from civicid.demo_rp import DemoRPConfig, create_demo_rp
from civicid.oidc.backchannel import LOGOUT_EVENT, deliver_due
from civicid.oidc.service import OidcProvider

from ..oidc.conftest import ISSUER, citizen, client, clock, exchange, get_code, make_rp, runtime, signed_in  # noqa: F401

FORUM = "http://127.0.0.1:8001"


@pytest.fixture
def forum_rp(runtime):
    return make_rp(runtime, redirect_uri=FORUM + "/callback", backchannel_logout_uri=FORUM + "/backchannel-logout")


@pytest.fixture
def forum(client, clock, forum_rp):
    async def jwks(force: bool) -> dict:
        return client.get("/oauth2/jwks").json()

    app = create_demo_rp(DemoRPConfig(ISSUER, FORUM, forum_rp.client_id, forum_rp.secret), jwks=jwks,
                         now=lambda: clock.now().timestamp())
    return app, TestClient(app, base_url=FORUM)


def signed_in_at_forum(client, forum_app, rp) -> tuple[str, dict]:
    """What the forum keeps after a sign-in: the ID token's claims in a forum session."""
    id_token = exchange(client, rp, get_code(client, rp)["code"]).json()["id_token"]
    claims = jwt.decode(id_token, KeySet.import_key_set(client.get("/oauth2/jwks").json())).claims
    return forum_app.state.sessions.save({"received": {"id_token": claims}}), claims


def test_withdrawal_ends_the_forum_session_and_a_replay_is_refused(client, runtime, signed_in, forum, forum_rp):
    app, http = forum
    mine, _ = signed_in_at_forum(client, app, forum_rp)
    someone_else = app.state.sessions.save({"received": {"id_token": {"iss": ISSUER, "sub": "other", "sid": "x"}}})
    sent: list[tuple[str, int]] = []

    def post(uri: str, token: str) -> int:
        status = http.post(urlsplit(uri).path, data={"logout_token": token}).status_code
        sent.append((token, status))
        return status

    assert client.delete(f"/api/v1/me/consents/{forum_rp.client_id}").status_code == 204
    assert deliver_due(runtime, post=post) == 1
    assert [status for _, status in sent] == [200]
    assert app.state.sessions.load(mine) is None
    assert app.state.sessions.load(someone_else) is not None
    replay = http.post("/backchannel-logout", data={"logout_token": sent[0][0]})
    assert replay.status_code == 400 and replay.headers["cache-control"] == "no-store"


def _signed(runtime, claims: dict, *, key=None, typ="logout+jwt") -> str:
    with runtime.transaction() as session:
        active = OidcProvider(runtime, session).signing.current()
    key = key or active.private
    return jwt.encode({"alg": "ES256", "kid": active.kid, "typ": typ}, claims, key)


@pytest.mark.parametrize("change", ["garbage", "foreign_key", "nonce", "aud", "iss", "expired", "no_events",
                                    "no_sub_or_sid", "typ"])
def test_an_invalid_logout_token_gets_400_and_ends_nothing(client, runtime, signed_in, forum, forum_rp, change):
    app, http = forum
    mine, id_claims = signed_in_at_forum(client, app, forum_rp)
    now = int(runtime.clock.now().timestamp())
    claims = {"iss": ISSUER, "aud": forum_rp.client_id, "iat": now, "exp": now + 120, "jti": f"j-{change}",
              "events": {LOGOUT_EVENT: {}}, "sub": id_claims["sub"]}
    key, typ = None, "logout+jwt"
    if change == "foreign_key":
        key = ECKey.generate_key("P-256")
    elif change == "nonce":
        claims["nonce"] = "n-1"
    elif change == "aud":
        claims["aud"] = "rp_someone_else"
    elif change == "iss":
        claims["iss"] = "https://evil.example"
    elif change == "expired":
        claims["iat"], claims["exp"] = now - 3600, now - 3000
    elif change == "no_events":
        del claims["events"]
    elif change == "no_sub_or_sid":
        del claims["sub"]
    elif change == "typ":
        typ = "JWT+id"
    token = "not.a.jwt" if change == "garbage" else _signed(runtime, claims, key=key, typ=typ)
    response = http.post("/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert app.state.sessions.load(mine) is not None
    # the same claims, well formed, are accepted: the one change was what made it invalid
    if change != "garbage":
        good = {k: v for k, v in claims.items() if k != "nonce"} | {
            "iss": ISSUER, "aud": forum_rp.client_id, "iat": now, "exp": now + 120, "events": {LOGOUT_EVENT: {}},
            "sub": id_claims["sub"], "jti": f"ok-{change}"}
        assert http.post("/backchannel-logout", data={"logout_token": _signed(runtime, good)}).status_code == 200
        assert app.state.sessions.load(mine) is None
