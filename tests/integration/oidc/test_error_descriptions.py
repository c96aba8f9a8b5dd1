"""Authorization requests whose parameters Authlib would quote in an error description.

RFC 6749 §4.1.2.1 and §5.2 allow only %x20-21 / %x23-5B / %x5D-7E in ``error_description``;
Authlib refuses to build an error that breaks this (``ValueError``), and it quotes the request's
``response_type`` and an unregistered ``redirect_uri`` in its descriptions. Found by the schema
fuzzer (tests/integration/fuzz): such a request was a 500. Each is a typed OAuth error now.
"""

from __future__ import annotations

import pytest

from .conftest import authorize_params, redirect_params

HOSTILE = ["\u00f4h\u0083\U00028dbb", 'a"b', "a\\b", "caf\u00e9"]  # (DEL is refused at the boundary)


@pytest.mark.parametrize("response_type", HOSTILE)
def test_an_unsupported_response_type_of_any_characters_goes_back_to_the_client(client, rp, signed_in,
                                                                                response_type):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, response_type=response_type),
                          follow_redirects=False)
    params = redirect_params(response)
    assert params["error"] == "unsupported_response_type" and params["state"] == "st-1"
    assert response_type not in params.get("error_description", "")


@pytest.mark.parametrize("response_type", HOSTILE)
def test_without_a_trusted_redirect_the_error_is_a_page(client, rp, response_type):
    response = client.get("/oauth2/authorize", params=authorize_params(
        rp, response_type=response_type, redirect_uri="https://evil.example/cb"), follow_redirects=False)
    assert response.status_code == 400 and "unsupported_response_type" in response.text


@pytest.mark.parametrize("redirect_uri", [f"https://forum.example/{text}" for text in HOSTILE])
def test_an_unregistered_redirect_uri_of_any_characters_is_an_error_page(client, rp, signed_in, redirect_uri):
    response = client.get("/oauth2/authorize", params=authorize_params(rp, redirect_uri=redirect_uri),
                          follow_redirects=False)
    assert response.status_code == 400 and "invalid_request" in response.text
    assert "location" not in response.headers
