"""RP-Initiated Logout 1.0."""

from __future__ import annotations

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from civicid.identity.sessions import COOKIE_NAME, SignInSessions

from .conftest import ISSUER, exchange, get_code, hidden, make_citizen, make_rp, sign_in


def session_alive(runtime, token: str) -> bool:
    with runtime.transaction() as session:
        return SignInSessions(session, runtime.clock).resolve(token) is not None


def test_logout_with_id_token_hint_redirects_to_the_registered_uri_with_state(client, runtime, rp, signed_in):
    id_token = exchange(client, rp, get_code(client, rp)["code"]).json()["id_token"]
    response = client.get("/oauth2/logout", params={"id_token_hint": id_token, "state": "bye & back",
                                                     "post_logout_redirect_uri": "https://forum.example/bye"},
                          follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "https://forum.example/bye?state=bye+%26+back"
    assert not session_alive(runtime, signed_in)
    assert f'{COOKIE_NAME}=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]


def test_logout_to_an_unregistered_uri_does_not_redirect(client, runtime, rp, signed_in):
    id_token = exchange(client, rp, get_code(client, rp)["code"]).json()["id_token"]
    response = client.get("/oauth2/logout", params={"id_token_hint": id_token,
                                                     "post_logout_redirect_uri": "https://forum.example/bye/"},
                          follow_redirects=False)
    assert response.status_code == 200 and "location" not in response.headers
    assert "You are signed out" in response.text
    assert not session_alive(runtime, signed_in)


def test_logout_without_hint_asks_first(client, runtime, rp, signed_in):
    page = client.get("/oauth2/logout", params={"client_id": rp.client_id})
    assert page.status_code == 200 and "logout-confirm" in page.text
    assert session_alive(runtime, signed_in)
    forged = client.post("/oauth2/logout", data={"csrf": "0" * 64})
    assert "logout-confirm" in forged.text and session_alive(runtime, signed_in)
    done = client.post("/oauth2/logout", data={"csrf": hidden(page.text, "csrf")})
    assert "You are signed out" in done.text
    assert not session_alive(runtime, signed_in)


# --- sid (Front-Channel Logout 1.0 §3, Back-Channel Logout 1.0 §2.4) and logout CSRF -------------

def id_token_claims(client, id_token: str) -> dict:
    return jwt.decode(id_token, KeySet.import_key_set(client.get("/oauth2/jwks").json())).claims


def test_id_tokens_carry_a_sid_of_the_session_and_the_client(client, runtime, rp, citizen, signed_in):
    first = id_token_claims(client, exchange(client, rp, get_code(client, rp)["code"]).json()["id_token"])
    again = id_token_claims(client, exchange(client, rp, get_code(client, rp, nonce="n-2")["code"]).json()["id_token"])
    assert first["sid"] and first["sid"] == again["sid"]  # one browser session, one sid at this client
    other_rp = make_rp(runtime, redirect_uri="https://shop.example/cb")
    at_other = id_token_claims(client, exchange(client, other_rp, get_code(client, other_rp)["code"]).json()["id_token"])
    assert at_other["sid"] != first["sid"]  # not a cross-client correlation handle
    sign_in(client, runtime, citizen)
    new_session = id_token_claims(client, exchange(client, rp, get_code(client, rp, nonce="n-3")["code"]).json()["id_token"])
    assert new_session["sid"] != first["sid"]
    assert signed_in not in first["sid"]


def test_an_id_token_of_an_earlier_session_does_not_end_the_current_one_unasked(client, runtime, rp, citizen,
                                                                                signed_in):
    old_hint = exchange(client, rp, get_code(client, rp)["code"]).json()["id_token"]
    current = sign_in(client, runtime, citizen)  # signed out and in again since
    params = {"id_token_hint": old_hint, "state": "s-1", "post_logout_redirect_uri": "https://forum.example/bye"}
    page = client.get("/oauth2/logout", params=params, follow_redirects=False)
    assert page.status_code == 200 and "logout-confirm" in page.text
    assert session_alive(runtime, current)
    # the citizen confirms: signed out, and back to the service as it asked
    form = {name: hidden(page.text, name) for name in ("csrf", "id_token_hint", "state", "post_logout_redirect_uri")}
    done = client.post("/oauth2/logout", data=form, follow_redirects=False)
    assert done.status_code in (302, 303)
    assert done.headers["location"] == "https://forum.example/bye?state=s-1"
    assert not session_alive(runtime, current)


def test_another_citizens_id_token_does_not_end_the_session_unasked(client, runtime, rp, signed_in):
    other = make_citizen(runtime, id_number="11010519800101001X", name="Wang Fang")
    elsewhere = TestClient(client.app, base_url=ISSUER)  # another browser
    sign_in(elsewhere, runtime, other)
    foreign_hint = exchange(elsewhere, rp, get_code(elsewhere, rp)["code"]).json()["id_token"]
    response = client.get("/oauth2/logout", params={"id_token_hint": foreign_hint}, follow_redirects=False)
    assert response.status_code == 200 and "logout-confirm" in response.text
    assert session_alive(runtime, signed_in)


def test_a_hint_without_sid_asks_first(client, runtime, rp, signed_in, clock):
    """An ID token made before sids existed (or by a forger holding no key: refused anyway)."""
    from civicid.oidc.service import OidcProvider

    with runtime.transaction() as session:
        provider = OidcProvider(runtime, session)
        key = provider.signing.current()
        now = int(clock.now().timestamp())
        hint = jwt.encode(key.header, {"iss": ISSUER, "aud": rp.client_id, "sub": "x", "iat": now, "exp": now + 60},
                          key.private)
    response = client.get("/oauth2/logout", params={"id_token_hint": hint}, follow_redirects=False)
    assert response.status_code == 200 and "logout-confirm" in response.text
    assert session_alive(runtime, signed_in)


def test_a_matching_hint_after_its_expiry_still_signs_out_unasked(client, runtime, rp, signed_in, clock):
    """RP-Initiated Logout 1.0 §2: an expired ID token is still a hint."""
    hint = exchange(client, rp, get_code(client, rp)["code"]).json()["id_token"]
    clock.advance(seconds=3600)
    response = client.get("/oauth2/logout", params={"id_token_hint": hint,
                                                     "post_logout_redirect_uri": "https://forum.example/bye"},
                          follow_redirects=False)
    assert response.status_code == 302 and not session_alive(runtime, signed_in)
