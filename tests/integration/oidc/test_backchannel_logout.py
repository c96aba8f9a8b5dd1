"""OpenID Back-Channel Logout 1.0: logout tokens sent to the relying parties a citizen leaves."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from civicid.identity.service import CitizenService
from civicid.oidc.backchannel import LOGOUT_EVENT, deliver_due
from civicid.oidc.errors import ClientInvalid
from civicid.oidc.models import OidcLogoutNotice

from .conftest import ISSUER, exchange, get_code, make_rp


class Receiver:
    """A relying party's back-channel logout endpoint on 127.0.0.1, recording what it is sent."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                outer.received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                       "form": {k: v[0] for k, v in parse_qs(body).items()}})
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def decode(client, token: str):
    return jwt.decode(token, KeySet.import_key_set(client.get("/oauth2/jwks").json()), algorithms=["ES256", "RS256"])


def id_token_of(client, rp, **params) -> dict:
    id_token = exchange(client, rp, get_code(client, rp, **params)["code"]).json()["id_token"]
    return decode(client, id_token).claims


def notices(runtime) -> list[OidcLogoutNotice]:
    with runtime.transaction() as session:
        rows = session.scalars(sa.select(OidcLogoutNotice)).all()
        session.expunge_all()
        return list(rows)


def test_withdrawing_consent_sends_a_signed_logout_token_with_the_pairwise_sub(client, runtime, citizen,
                                                                               signed_in, receiver):
    rp = make_rp(runtime, backchannel_logout_uri=receiver.uri)
    id_token = id_token_of(client, rp)
    assert client.delete(f"/api/v1/me/consents/{rp.client_id}").status_code == 204
    assert receiver.received == []  # not inside the citizen's request: queued in the outbox
    assert len(notices(runtime)) == 1

    assert deliver_due(runtime) == 1
    assert notices(runtime) == []
    (request,) = receiver.received
    assert request["path"] == "/backchannel-logout"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    token = decode(client, request["form"]["logout_token"])
    assert token.header["typ"] == "logout+jwt" and token.header["alg"] == "ES256" and token.header["kid"]
    claims = token.claims
    assert claims["iss"] == ISSUER and claims["aud"] == rp.client_id
    assert claims["events"] == {LOGOUT_EVENT: {}}
    assert claims["sub"] == id_token["sub"]  # the client's pairwise subject
    with runtime.transaction() as session:
        network_id = CitizenService(session, runtime.vault(session), runtime.clock).get(citizen).network_id
    assert claims["sub"] not in (network_id, citizen)
    assert "nonce" not in claims and claims["jti"]
    assert 0 < claims["exp"] - claims["iat"] <= 120
    assert claims["iat"] == int(runtime.clock.now().timestamp())


def test_account_deletion_notifies_each_client_with_its_own_sub_and_sid(client, runtime, citizen, signed_in,
                                                                        receiver):
    plain = make_rp(runtime, backchannel_logout_uri=receiver.uri)
    with_sid = make_rp(runtime, redirect_uri="https://shop.example/cb", backchannel_logout_uri=receiver.uri,
                       backchannel_logout_session_required=True, id_token_signed_response_alg="RS256")
    silent = make_rp(runtime, redirect_uri="https://news.example/cb")  # no backchannel_logout_uri
    first, second = id_token_of(client, plain), id_token_of(client, with_sid)
    id_token_of(client, silent)
    assert client.delete("/api/v1/me").status_code == 204
    assert {n.client_id for n in notices(runtime)} == {plain.client_id, with_sid.client_id}

    assert deliver_due(runtime) == 2
    tokens = {t.claims["aud"]: t for t in (decode(client, r["form"]["logout_token"]) for r in receiver.received)}
    assert set(tokens) == {plain.client_id, with_sid.client_id}
    assert tokens[plain.client_id].claims["sub"] == first["sub"] and "sid" not in tokens[plain.client_id].claims
    rs = tokens[with_sid.client_id]
    assert rs.header["alg"] == "RS256"  # the client's ID-token algorithm
    assert rs.claims["sub"] == second["sub"] != first["sub"] and rs.claims["sid"] == second["sid"]


def test_no_notification_for_a_client_without_a_uri(client, runtime, signed_in, receiver):
    rp = make_rp(runtime)
    id_token_of(client, rp)
    assert client.delete(f"/api/v1/me/consents/{rp.client_id}").status_code == 204
    assert notices(runtime) == []
    assert deliver_due(runtime) == 0 and receiver.received == []


def test_a_failed_delivery_is_kept_for_a_retry_and_logged_without_personal_data(client, runtime, signed_in,
                                                                                receiver, caplog):
    receiver.status = 500
    rp = make_rp(runtime, backchannel_logout_uri=receiver.uri)
    id_token = id_token_of(client, rp)
    client.delete(f"/api/v1/me/consents/{rp.client_id}")
    assert deliver_due(runtime) == 0
    (notice,) = notices(runtime)
    assert notice.attempts == 1 and notice.next_attempt_at > runtime.clock.now()
    assert rp.client_id in caplog.text and id_token["sub"] not in caplog.text
    assert deliver_due(runtime) == 0 and len(receiver.received) == 1  # not due yet


def test_registration_takes_only_http_s_uris_and_discovery_advertises_it(client, runtime):
    for bad in ("ftp://rp.example/logout", "http://rp.example/logout", "https://rp.example/l#x", "not a uri"):
        with pytest.raises(ClientInvalid):
            make_rp(runtime, backchannel_logout_uri=bad)
    config = client.get("/.well-known/openid-configuration").json()
    assert config["backchannel_logout_supported"] is True
    assert config["backchannel_logout_session_supported"] is True


def test_clients_add_registers_the_backchannel_logout_uri(runtime, monkeypatch):
    from typer.testing import CliRunner

    from civicid.cli import clients as clients_cli

    monkeypatch.setattr(clients_cli, "build_runtime", lambda settings: runtime)
    result = CliRunner().invoke(clients_cli.app, [
        "add", "--name", "Forum", "--redirect-uri", "https://forum.example/cb",
        "--backchannel-logout-uri", "https://forum.example/bcl", "--backchannel-logout-session-required", "--json"])
    assert result.exit_code == 0, result.output
    client_id = json.loads(result.output)["client_id"]
    listed = json.loads(CliRunner().invoke(clients_cli.app, ["list", "--json"]).output)["clients"]
    (mine,) = [c for c in listed if c["client_id"] == client_id]
    assert mine["backchannel_logout_uri"] == "https://forum.example/bcl"
    assert mine["backchannel_logout_session_required"] is True


def test_rp_initiated_logout_notifies_the_other_services_of_that_session_by_sid(client, runtime, signed_in,
                                                                               receiver):
    initiator = make_rp(runtime, post_logout_redirect_uris=["https://forum.example/bye"])
    other = make_rp(runtime, redirect_uri="https://shop.example/cb", backchannel_logout_uri=receiver.uri)
    hint = exchange(client, initiator, get_code(client, initiator)["code"]).json()["id_token"]
    at_other = id_token_of(client, other)
    response = client.get("/oauth2/logout", params={"id_token_hint": hint,
                                                     "post_logout_redirect_uri": "https://forum.example/bye"},
                          follow_redirects=False)
    assert response.status_code == 302
    assert deliver_due(runtime) == 1
    (request,) = receiver.received
    claims = decode(client, request["form"]["logout_token"]).claims
    assert claims["aud"] == other.client_id
    assert claims["sid"] == at_other["sid"] and claims["sub"] == at_other["sub"]


def test_signing_out_at_civicid_notifies_the_services_of_that_session(client, runtime, signed_in, receiver):
    rp = make_rp(runtime, backchannel_logout_uri=receiver.uri)
    id_token = id_token_of(client, rp)
    assert client.post("/api/v1/signout").status_code == 204
    assert deliver_due(runtime) == 1
    claims = decode(client, receiver.received[0]["form"]["logout_token"]).claims
    assert claims["sid"] == id_token["sid"] and claims["sub"] == id_token["sub"]


def test_the_server_worker_delivers_after_the_commit(client, runtime, signed_in, receiver):
    from civicid.oidc.backchannel import worker_of

    rp = make_rp(runtime, backchannel_logout_uri=receiver.uri)
    id_token_of(client, rp)
    runtime.log_sequencing = "background"  # as in `civicid serve`: the commit wakes the worker thread
    worker = worker_of(runtime)
    try:
        assert client.delete(f"/api/v1/me/consents/{rp.client_id}").status_code == 204
        assert worker.wait_idle(10)
        assert len(receiver.received) == 1 and notices(runtime) == []
    finally:
        worker.stop()
        runtime.log_sequencing = "inline"
