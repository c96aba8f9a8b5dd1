"""Registration refuses what would weaken redirect matching, subject pairing or client auth."""

from __future__ import annotations

import json

import pytest
from joserfc.jwk import ECKey

from civicid.oidc.clients import list_clients, register_client
from civicid.oidc.errors import ClientInvalid
from civicid.oidc.models import OidcClient
from civicid.oidc.policy import OidcPolicy
from civicid.oidc.service import OidcProvider

PUBLIC = {"keys": [ECKey.generate_key("P-256", parameters={"kid": "k1"}).as_dict(private=False)]}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"redirect_uris": []}, "redirect_uris"),
    ({"redirect_uris": ["http://forum.example/cb"]}, "redirect_uris"),
    ({"redirect_uris": ["https://forum.example/cb#frag"]}, "redirect_uris"),
    ({"redirect_uris": ["forum.example/cb"]}, "redirect_uris"),
    ({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"]}, "sector_identifier"),
    ({"name": " "}, "name"),
    ({"token_endpoint_auth_method": "client_secret_post"}, "token_endpoint_auth_method"),
    ({"token_endpoint_auth_method": "none"}, "token_endpoint_auth_method"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "jwks"),
    ({"token_endpoint_auth_method": "private_key_jwt",
      "jwks": {"keys": [ECKey.generate_key("P-256").as_dict(private=True)]}}, "jwks"),
    ({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "jwks"),
    ({"jwks": PUBLIC}, "jwks"),
])
def test_invalid_registrations(db_session, runtime, kwargs, field):
    args = {"name": "Forum", "redirect_uris": ["https://forum.example/cb"], **kwargs}
    with pytest.raises(ClientInvalid) as raised:
        register_client(db_session, runtime, **args)
    assert raised.value.detail["field"] == field


def test_loopback_http_and_multi_host_with_a_sector(db_session, runtime):
    client_id, secret = register_client(db_session, runtime, name="Dev", redirect_uris=["http://localhost:3000/cb"])
    assert secret
    other, _ = register_client(db_session, runtime, name="Multi", sector_identifier="city.example",
                               redirect_uris=["https://a.example/cb", "https://b.example/cb"])
    sectors = {c.client_id: c.sector for c in list_clients(db_session)}
    assert sectors[client_id] == "localhost" and sectors[other] == "city.example"


def test_private_key_jwt_client_has_no_secret_and_keeps_only_public_keys(db_session, runtime):
    client_id, secret = register_client(db_session, runtime, name="Bank", redirect_uris=["https://bank.example/cb"],
                                        token_endpoint_auth_method="private_key_jwt", jwks=PUBLIC)
    row = db_session.get(OidcClient, client_id)
    assert secret is None and row.secret_hash is None
    assert json.loads(row.jwks) == PUBLIC


def test_a_server_process_keeps_an_active_client_for_the_cache_lifetime_only(db_session, runtime, clock):
    client_id, _ = register_client(db_session, runtime, name="Forum", redirect_uris=["https://forum.example/cb"])
    assert OidcProvider(runtime, db_session).store.client(client_id).name == "Forum"
    db_session.get(OidcClient, client_id).active = False
    db_session.flush()
    clock.advance(seconds=OidcPolicy().client_cache_ttl_s - 1)
    assert OidcProvider(runtime, db_session).store.client(client_id) is not None  # another unit of work, cached
    clock.advance(seconds=1)
    assert OidcProvider(runtime, db_session).store.client(client_id) is None
    assert OidcProvider(runtime, db_session).store.client("rp_unknown") is None
