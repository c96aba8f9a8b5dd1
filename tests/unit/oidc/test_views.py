"""The client view's checks are what Authlib relies on for exact redirect URIs and auth methods."""

from __future__ import annotations

from civicid.oidc.views import ClientView
from civicid.partners.credentials import hash_secret

CLIENT = ClientView(client_id="rp_1", name="Forum", token_endpoint_auth_method="client_secret_basic",
                    redirect_uris=("https://forum.example/cb",), post_logout_redirect_uris=(), sector="forum.example",
                    secret_hash=hash_secret("s3cret"))


def test_redirect_uris_match_exactly():
    assert CLIENT.check_redirect_uri("https://forum.example/cb")
    for near in ("https://forum.example/cb/", "https://forum.example/cb?a=1", "https://forum.example/c",
                 "https://forum.example/cb#x", "http://forum.example/cb"):
        assert not CLIENT.check_redirect_uri(near)
    assert CLIENT.get_default_redirect_uri() is None


def test_only_the_code_flow_and_the_registered_auth_method():
    assert CLIENT.check_response_type("code") and not CLIENT.check_response_type("token")
    assert CLIENT.check_grant_type("refresh_token") and not CLIENT.check_grant_type("client_credentials")
    assert CLIENT.check_endpoint_auth_method("client_secret_basic", "token")
    assert not CLIENT.check_endpoint_auth_method("client_secret_post", "token")
    assert not CLIENT.check_endpoint_auth_method("none", "token")


def test_secret_and_scope_checks():
    assert CLIENT.check_client_secret("s3cret") and not CLIENT.check_client_secret("s3cret ")
    assert CLIENT.get_allowed_scope("openid age unknown") == "openid age"
    assert CLIENT.get_allowed_scope("age") is None  # openid is required
