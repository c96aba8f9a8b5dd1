"""``civicid clients`` and ``civicid keys rotate-signing`` against the test database."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from joserfc.jws import extract_compact
from typer.testing import CliRunner

from civicid.cli import clients as clients_cli
from civicid.cli import keys as keys_cli
from civicid.cli import oidc_keys
from civicid.oidc.models import OidcClient, OidcSigningKey
from civicid.oidc.policy import OidcPolicy
from civicid.vault.models import WrappedDataKey

from .conftest import exchange, get_code


@pytest.fixture
def cli(runtime, monkeypatch):
    for module in (clients_cli, oidc_keys):
        monkeypatch.setattr(module, "build_runtime", lambda settings: runtime)
    return CliRunner()


def test_clients_add_prints_the_secret_once_and_stores_only_a_hash(cli, runtime):
    result = cli.invoke(clients_cli.app, ["add", "--name", "Forum", "--redirect-uri", "https://forum.example/cb",
                                          "--redirect-uri", "https://forum.example/cb2", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    secret = printed["client_secret"]
    assert printed["client_id"].startswith("rp_") and len(secret) >= 43
    with runtime.sessions() as session:
        row = session.get(OidcClient, printed["client_id"])
        dumped = " ".join(str(v) for v in session.execute(sa.select(OidcClient.__table__)).one())
    assert secret not in dumped and row.secret_hash.startswith("sha256$")
    assert json.loads(row.redirect_uris) == ["https://forum.example/cb", "https://forum.example/cb2"]

    listed = cli.invoke(clients_cli.app, ["list", "--json"])
    assert listed.exit_code == 0 and secret not in listed.output
    assert [c["client_id"] for c in json.loads(listed.output)["clients"]] == [printed["client_id"]]


def test_clients_add_refuses_a_plain_http_redirect(cli):
    result = cli.invoke(clients_cli.app, ["add", "--name", "X", "--redirect-uri", "http://forum.example/cb", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "oidc.client_invalid"


def test_rotate_signing_keeps_the_old_key_published_and_signs_with_the_new(cli, client, runtime, rp, signed_in,
                                                                          clock):
    old_token = exchange(client, rp, get_code(client, rp, nonce="a")["code"]).json()["id_token"]
    old_kid = extract_compact(old_token.encode()).headers()["kid"]

    clock.advance(seconds=10)
    result = cli.invoke(keys_cli.app, ["rotate-signing", "--json"])
    assert result.exit_code == 0, result.output
    rotation = json.loads(result.output)
    assert rotation["retired"] == [old_kid] and rotation["kid"] != old_kid

    published = [k["kid"] for k in client.get("/oauth2/jwks").json()["keys"]]
    assert set(published[:-1]) == set(rotation["kids"].values()) and published[-1] == old_kid
    clock.advance(seconds=OidcPolicy().key_cache_ttl_s)  # a running server takes up the new key by then
    new_token = exchange(client, rp, get_code(client, rp, nonce="b")["code"]).json()["id_token"]
    assert extract_compact(new_token.encode()).headers()["kid"] == rotation["kid"]

    with runtime.sessions() as session:
        # the retired private key is shredded; the new one is sealed, never stored in the clear
        assert session.get(WrappedDataKey, f"oidc-signing:{old_kid}") is None
        assert session.get(WrappedDataKey, f"oidc-signing:{rotation['kid']}") is not None
        assert b"PRIVATE" not in session.get(OidcSigningKey, rotation["kid"]).private_key_ct

    clock.advance(seconds=900 + 301)  # the last ID token of the old key has expired
    assert {k["kid"] for k in client.get("/oauth2/jwks").json()["keys"]} == set(rotation["kids"].values())


def test_clients_add_private_key_jwt_from_a_jwks_file(cli, tmp_path):
    from joserfc.jwk import ECKey

    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [ECKey.generate_key("P-256").as_dict(private=False)]}))
    result = cli.invoke(clients_cli.app, ["add", "--name", "Bank", "--redirect-uri", "https://bank.example/cb",
                                          "--auth-method", "private_key_jwt", "--jwks", str(jwks), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["client_secret"] is None


def test_clients_add_fapi_registers_par_and_dpop_with_private_key_jwt(cli, runtime, tmp_path):
    from joserfc.jwk import ECKey
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [ECKey.generate_key("P-256").as_dict(private=False)]}))
    refused = cli.invoke(clients_cli.app, ["add", "--name", "Bank", "--redirect-uri", "https://bank.example/cb",
                                           "--fapi", "--json"])
    assert refused.exit_code != 0
    result = cli.invoke(clients_cli.app, ["add", "--name", "Bank", "--redirect-uri", "https://bank.example/cb",
                                          "--auth-method", "private_key_jwt", "--jwks", str(jwks), "--fapi", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    with runtime.sessions() as session:
        row = session.get(OidcClient, printed["client_id"])
        assert row.require_pushed_authorization_requests and row.dpop_bound_access_tokens
