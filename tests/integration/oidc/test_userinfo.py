"""The UserInfo endpoint's ways of taking a bearer token (OIDC Core §5.3.1, RFC 6750 §2) and its
challenge (RFC 6750 §3)."""

from __future__ import annotations

from .conftest import exchange, get_code

CHALLENGE = 'Bearer realm="civicid"'


def access_token(client, rp) -> str:
    return exchange(client, rp, get_code(client, rp)["code"]).json()["access_token"]


def test_access_token_in_a_form_encoded_post_body(client, rp, signed_in):
    """RFC 6750 §2.2: pyoidc's default and the certification suite's post-body test use it."""
    token = access_token(client, rp)
    by_header = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"}).json()
    response = client.post("/oauth2/userinfo", data={"access_token": token})
    assert response.status_code == 200, response.text
    assert response.json() == by_header
    assert response.headers["cache-control"] == "no-store"


def test_a_token_in_the_body_and_in_the_header_is_refused(client, rp, signed_in):
    """RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token"."""
    token = access_token(client, rp)
    response = client.post("/oauth2/userinfo", data={"access_token": token},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


def test_a_body_token_needs_a_form_post(client, rp, signed_in):
    """RFC 6750 §2.2: not in a GET's query (§2.3 is not offered), not in a JSON body."""
    token = access_token(client, rp)
    assert client.get("/oauth2/userinfo", params={"access_token": token}).status_code == 401
    assert client.post("/oauth2/userinfo", json={"access_token": token}).status_code == 401


def test_a_repeated_body_token_is_refused(client, rp, signed_in):
    token = access_token(client, rp)
    response = client.post("/oauth2/userinfo", content=f"access_token={token}&access_token={token}",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_a_wrong_body_token_is_an_invalid_token(client, signed_in):
    response = client.post("/oauth2/userinfo", data={"access_token": "not-a-token"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_no_credentials_get_a_bare_challenge(client):
    """RFC 6750 §3.1: a request without authentication information gets no error code;
    ``missing_authorization`` is not a registered one (RFC 6750 §6.2)."""
    for response in (client.get("/oauth2/userinfo"), client.post("/oauth2/userinfo"),
                     client.post("/oauth2/userinfo", data={"other": "x"}),
                     client.get("/oauth2/userinfo", headers={"Authorization": "Basic dXNlcjpwYXNz"})):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == CHALLENGE
        assert "missing_authorization" not in response.text
        assert "unsupported_token_type" not in response.text
