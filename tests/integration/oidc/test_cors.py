"""CORS on the public metadata (OIDC Discovery 1.0 §4, RFC 7517): a relying party running in a
browser on another origin must be able to read the discovery document and the JWKS (Fetch
standard §3.2, CORS protocol). Both are public and read without credentials, so ``*``."""

from __future__ import annotations

import pytest

RP_ORIGIN = "https://spa.example"
PUBLIC = ["/.well-known/openid-configuration", "/oauth2/jwks"]


@pytest.mark.parametrize("path", PUBLIC)
def test_another_origin_can_read_the_public_metadata(client, path):
    response = client.get(path, headers={"Origin": RP_ORIGIN, "Sec-Fetch-Site": "cross-site",
                                         "Sec-Fetch-Mode": "cors"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("path", PUBLIC)
def test_preflight_is_answered(client, path):
    response = client.options(path, headers={"Origin": RP_ORIGIN, "Access-Control-Request-Method": "GET",
                                             "Access-Control-Request-Headers": "x-requested-with, dpop"})
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert allowed == "*" or {"x-requested-with", "dpop"} <= {h.strip() for h in allowed.split(",")}
    assert int(response.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in response.headers


def test_other_oidc_endpoints_stay_without_cors(client):
    """The token, userinfo and authorization endpoints are not opened to browsers here."""
    response = client.get("/oauth2/userinfo", headers={"Origin": RP_ORIGIN})
    assert "access-control-allow-origin" not in response.headers
