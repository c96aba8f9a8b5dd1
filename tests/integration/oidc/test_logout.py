"""RP-Initiated Logout 1.0."""

from __future__ import annotations

from civicid.identity.sessions import COOKIE_NAME, SignInSessions

from .conftest import exchange, get_code, hidden


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
