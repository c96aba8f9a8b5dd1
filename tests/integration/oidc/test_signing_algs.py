"""ID-token signing algorithms: ES256 by default, RS256 for clients that register for it (OIDC
Discovery 1.0 §3 and Core §15.1 make RS256 mandatory to support; Registration 1.0 §2
``id_token_signed_response_alg``)."""

from __future__ import annotations

import base64
import json

import pytest
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from typer.testing import CliRunner

from civicid.cli import clients as clients_cli
from civicid.cli import keys as keys_cli
from civicid.cli import oidc_keys
from civicid.oidc.clients import list_clients, register_client
from civicid.oidc.errors import ClientInvalid
from civicid.oidc.policy import OidcPolicy

from .conftest import ISSUER, exchange, get_code, make_rp


@pytest.fixture
def rs_rp(runtime):
    return make_rp(runtime, redirect_uri="https://gov.example/cb", id_token_signed_response_alg="RS256",
                   post_logout_redirect_uris=["https://gov.example/bye"])


def header_of(token: str) -> dict:
    return extract_compact(token.encode()).headers()


def test_discovery_offers_es256_first_and_rs256(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]


def test_the_jwks_publishes_an_rs256_key_beside_the_es256_one(client):
    keys = client.get("/oauth2/jwks").json()["keys"]
    assert sorted((k["kty"], k["alg"], k["use"]) for k in keys) == [("EC", "ES256", "sig"), ("RSA", "RS256", "sig")]
    rsa = next(k for k in keys if k["kty"] == "RSA")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(rsa)
    modulus = base64.urlsafe_b64decode(rsa["n"] + "=" * (-len(rsa["n"]) % 4))
    assert len(modulus) >= 256  # 2048 bits at least (RFC 7518 §3.3)


def test_an_rs256_client_gets_rs256_id_tokens_others_es256(client, rp, rs_rp, signed_in, clock):
    rs_tokens = exchange(client, rs_rp, get_code(client, rs_rp, nonce="rs")["code"]).json()
    es_tokens = exchange(client, rp, get_code(client, rp, nonce="es")["code"]).json()
    assert header_of(rs_tokens["id_token"])["alg"] == "RS256"
    assert header_of(es_tokens["id_token"])["alg"] == "ES256"
    keys = KeySet.import_key_set(client.get("/oauth2/jwks").json())
    # a third party's check: signature, at_hash (SHA-256 for RS256 too), iss, aud, nonce
    decoded = jwt.decode(rs_tokens["id_token"], keys, algorithms=["RS256"])
    claims = CodeIDToken(decoded.claims, decoded.header,
                         options={"iss": {"value": ISSUER}, "aud": {"values": [rs_rp.client_id]}},
                         params={"nonce": "rs", "client_id": rs_rp.client_id, "access_token": rs_tokens["access_token"]})
    claims.validate(now=int(clock.now().timestamp()))
    with pytest.raises(Exception):
        jwt.decode(rs_tokens["id_token"], keys, algorithms=["ES256"])


def test_an_rs256_id_token_is_a_valid_logout_hint(client, runtime, rs_rp, signed_in):
    hint = exchange(client, rs_rp, get_code(client, rs_rp)["code"]).json()["id_token"]
    response = client.get("/oauth2/logout", params={"id_token_hint": hint, "post_logout_redirect_uri": "https://gov.example/bye"},
                          follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "https://gov.example/bye"


@pytest.mark.parametrize("alg", ["none", "HS256", "PS256", "", "es256"])
def test_registration_refuses_other_algorithms(db_session, runtime, alg):
    with pytest.raises(ClientInvalid) as raised:
        register_client(db_session, runtime, name="Forum", redirect_uris=["https://forum.example/cb"],
                        id_token_signed_response_alg=alg)
    assert raised.value.detail["field"] == "id_token_signed_response_alg"


def test_the_default_is_es256_and_listed(db_session, runtime):
    register_client(db_session, runtime, name="Forum", redirect_uris=["https://forum.example/cb"])
    register_client(db_session, runtime, name="Gov", redirect_uris=["https://gov.example/cb"],
                    id_token_signed_response_alg="RS256")
    assert sorted(c.id_token_signed_response_alg for c in list_clients(db_session)) == ["ES256", "RS256"]


@pytest.fixture
def cli(runtime, monkeypatch):
    for module in (clients_cli, oidc_keys):
        monkeypatch.setattr(module, "build_runtime", lambda settings: runtime)
    return CliRunner()


def test_clients_add_takes_the_id_token_alg(cli):
    result = cli.invoke(clients_cli.app, ["add", "--name", "Gov", "--redirect-uri", "https://gov.example/cb",
                                          "--id-token-alg", "RS256", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["id_token_signed_response_alg"] == "RS256"


def test_rotation_replaces_the_rs256_key_too(cli, client, rs_rp, signed_in, clock):
    old = header_of(exchange(client, rs_rp, get_code(client, rs_rp, nonce="a")["code"]).json()["id_token"])
    clock.advance(seconds=10)
    result = cli.invoke(keys_cli.app, ["rotate-signing", "--json"])
    assert result.exit_code == 0, result.output
    rotation = json.loads(result.output)
    assert old["kid"] in rotation["retired"] and set(rotation["kids"]) == {"ES256", "RS256"}
    assert rotation["kid"] == rotation["kids"]["ES256"]
    published = {k["kid"] for k in client.get("/oauth2/jwks").json()["keys"]}
    assert {old["kid"], *rotation["kids"].values()} <= published
    clock.advance(seconds=OidcPolicy().key_cache_ttl_s)
    new = header_of(exchange(client, rs_rp, get_code(client, rs_rp, nonce="b")["code"]).json()["id_token"])
    assert new == {**old, "kid": rotation["kids"]["RS256"]}
    clock.advance(seconds=900 + 301)
    assert old["kid"] not in {k["kid"] for k in client.get("/oauth2/jwks").json()["keys"]}
