from __future__ import annotations

from civicid.oidc.discovery import issuer_of, openid_configuration


def test_issuer_has_no_trailing_slash():
    assert issuer_of("https://id.example.gov/") == "https://id.example.gov"


def test_metadata_advertises_only_what_is_implemented():
    doc = openid_configuration("https://id.example.gov")
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert "none" not in doc["token_endpoint_auth_signing_alg_values_supported"]
    assert doc["request_parameter_supported"] is False
    assert doc["authorization_endpoint"] == "https://id.example.gov/oauth2/authorize"
