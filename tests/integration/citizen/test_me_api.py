"""The citizen's API over HTTP, on both stores (issue 13): what is held, services and revocation,
network-ID rotation with stable pairwise subjects, export, deletion by crypto-shredding."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from civicid.audit.events import EventTag
from civicid.audit.proofs import verify_inclusion
from civicid.identity.models import Citizen
from civicid.identity.service import data_key_owner
from civicid.identity.sessions import COOKIE_NAME
from civicid.vault.models import WrappedDataKey
from tests.integration.oidc.conftest import ISSUER, exchange, get_code, make_citizen, make_rp, sign_in
from tests.support.softauthn import SoftAuthenticator

ID_NUMBER = "11010519491231002X"  # the OIDC conftest's default citizen
NAME = "Zhang Wei"

ROUTES = [("GET", "/api/v1/me"), ("GET", "/api/v1/me/export"), ("GET", "/api/v1/me/services"),
          ("DELETE", "/api/v1/me/services/some-client"), ("POST", "/api/v1/me/network-id"),
          ("DELETE", "/api/v1/me"), ("GET", "/api/v1/me/history")]


def tags(runtime, citizen_id):
    with runtime.transaction() as session:
        _, items, pending = runtime.access_log(session).history(citizen_id)
    return [item.event.tag for item in items] + [event.tag for event in pending]


def sub_of(http, rp, nonce):
    token = exchange(http, rp, get_code(http, rp, nonce=nonce)["code"]).json()
    return jwt.decode(token["id_token"], KeySet.import_key_set(http.get("/oauth2/jwks").json())).claims["sub"], token


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_session(client, method, path):
    response = client.request(method, path)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "auth.required"
    bad_bearer = client.request(method, path, headers={"Authorization": "Bearer not-a-session"})
    assert bad_bearer.status_code == 401 and bad_bearer.json()["error"]["code"] == "auth.required"


def test_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/me"]) >= {"get", "delete"}
    assert "get" in paths["/api/v1/me/export"] and "get" in paths["/api/v1/me/services"]
    assert "delete" in paths["/api/v1/me/services/{client_id}"] and "post" in paths["/api/v1/me/network-id"]
    assert "401" in paths["/api/v1/me"]["get"]["responses"]
    assert "403" in paths["/api/v1/me"]["delete"]["responses"]


def test_what_is_held_decrypted_for_me_and_logged(client, runtime, citizen, signed_in):
    response = client.get("/api/v1/me")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == NAME and body["birth_date"] == "2000-06-15"
    assert body["id_number_masked"] == "110*************2X" and ID_NUMBER not in response.text
    assert len(body["network_id"]) == 26 and body["passkeys"] == []
    assert [s["current"] for s in body["sessions"]] == [True]
    assert "token" not in json.dumps(body["sessions"])
    assert tags(runtime, citizen) == [EventTag.CITIZEN_SELF_READ]


def test_bearer_session_token_works_too(client, runtime, citizen):
    token = sign_in(client, runtime, citizen)
    client.cookies.clear()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["name"] == NAME


def test_services_by_name_with_what_they_received_and_revoke(client, runtime, citizen, signed_in, rp):
    _, token = sub_of(client, rp, "n-1")
    services = client.get("/api/v1/me/services").json()["services"]
    assert [s["name"] for s in services] == ["Community Forum"]
    forum = services[0]
    assert forum["client_id"] == rp.client_id and forum["granted"] and forum["granted_at"]
    assert forum["received"] and forum["received"][0]["channel"] == "id_token"
    assert forum["last_received_at"] == forum["received"][0]["at"]

    unknown = client.delete("/api/v1/me/services/no-such-client")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "oidc.consent_not_found"

    assert client.delete(f"/api/v1/me/services/{rp.client_id}").status_code == 204
    assert client.get("/api/v1/me/services").json()["services"] == []
    userinfo = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert userinfo.status_code == 401
    assert EventTag.RP_CITIZEN_CONSENT_REVOKED in tags(runtime, citizen)


def test_rotating_the_network_id_keeps_the_pairwise_sub(client, runtime, citizen, signed_in, rp):
    before_sub, _ = sub_of(client, rp, "n-1")
    old = client.get("/api/v1/me").json()["network_id"]
    rotated = client.post("/api/v1/me/network-id")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["network_id"]
    assert new != old and client.get("/api/v1/me").json()["network_id"] == new
    with runtime.transaction() as session:  # the old one is gone: it finds no one
        assert session.scalar(sa.select(Citizen).where(Citizen.network_id == old)) is None
    after_sub, _ = sub_of(client, rp, "n-2")
    assert after_sub == before_sub
    assert EventTag.CITIZEN_SELF_ROTATE_NETWORK_ID in tags(runtime, citizen)


def test_export_has_everything_with_proofs(client, runtime, citizen, signed_in, rp):
    sub_of(client, rp, "n-1")
    runtime.sequence_log()
    response = client.get("/api/v1/me/export")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    body = response.json()
    assert body["held"]["name"] == NAME and body["services"][0]["name"] == "Community Forum"
    events = body["history"]["events"]
    root = base64.b64decode(body["history"]["sth"]["sha256_root_hash"])
    assert events
    for event in events:  # each proof checks without CivicID's help
        leaf_hash = hashlib.sha256(b"\x00" + base64.b64decode(event["leaf"])).digest()
        path = [base64.b64decode(p) for p in event["inclusion_path"]]
        assert verify_inclusion(leaf_hash, event["leaf_index"], event["tree_size"], path, root)
    all_tags = [e["tag"] for e in events] + [e["tag"] for e in body["history"]["pending"]]
    assert "citizen:self:export" in all_tags and "citizen:self:read" not in all_tags


def test_delete_needs_a_fresh_sign_in(client, runtime, citizen, signed_in, clock):
    clock.advance(minutes=11)
    stale = client.delete("/api/v1/me")
    assert stale.status_code == 403, stale.text
    assert stale.json()["error"]["code"] == "account.reauthentication_required"
    assert client.get("/api/v1/me").status_code == 200  # nothing was deleted


def test_delete_crypto_shreds_revokes_everything_and_leaves_a_nameless_tombstone(client, runtime, rp, clock):
    citizen = make_citizen(runtime)
    authenticator = SoftAuthenticator(origin=ISSUER)
    sign_in(client, runtime, citizen, amr=("face", "user"))  # a fresh face session may add a passkey
    options = client.post("/api/v1/passkeys/registration/options").json()
    registered = client.post("/api/v1/passkeys/registration/verify", json={
        "ceremony_id": options["ceremony_id"], "credential": authenticator.create(options["publicKey"])})
    assert registered.status_code == 201, registered.text
    _, token = sub_of(client, rp, "n-1")
    network_id = client.get("/api/v1/me").json()["network_id"]
    with runtime.transaction() as session:
        row = session.get(Citizen, citizen)
        sealed = {"name": row.name_ct, "id_number": row.id_number_ct, "birth_date": row.birth_date_ct}

    deleted = client.delete("/api/v1/me")
    assert deleted.status_code == 204, deleted.text
    assert deleted.headers["set-cookie"].startswith(f'{COOKIE_NAME}=""') and "Max-Age=0" in deleted.headers["set-cookie"]

    with runtime.transaction() as session:
        assert session.get(Citizen, citizen) is None
        assert session.get(WrappedDataKey, data_key_owner(citizen)) is None
        vault = runtime.vault(session)
        for column, blob in sealed.items():  # the fields can no longer be decrypted
            with pytest.raises(Exception):
                vault.open(data_key_owner(citizen), blob, table="citizens", column=column, row_id=citizen)
    # every token of every service is revoked, every session ended
    assert client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
                      ).status_code == 401
    client.cookies.clear()
    # the old passkey no longer signs in
    body = client.post("/api/v1/signin/options").json()
    refused = client.post("/api/v1/signin/verify", json={
        "ceremony_id": body["ceremony_id"], "credential": authenticator.get(body["publicKey"])})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "passkey.unknown_credential"
    # the tombstone names no one
    runtime.sequence_log()
    with runtime.transaction() as session:
        _, items, pending = runtime.access_log(session).history(citizen)
    events = [item.event for item in items] + pending
    assert events[-1].tag is EventTag.CITIZEN_SELF_DELETE and events[-1].actor == "citizen"
    leaf = events[-1].to_bytes().decode()
    for secret in (NAME, ID_NUMBER, network_id, "2000-06-15"):
        assert secret not in leaf
    # a second delete with the same (ended) session is refused as unauthenticated
    assert client.delete("/api/v1/me").status_code == 401


def test_another_citizens_services_are_not_mine(client, runtime, rp):
    alice = make_citizen(runtime)
    bob = make_citizen(runtime, id_number="11010519800101001X", name="Wang Fang")
    sign_in(client, runtime, alice)
    sub_of(client, rp, "n-1")
    sign_in(client, runtime, bob)
    assert client.get("/api/v1/me/services").json()["services"] == []
    assert client.delete(f"/api/v1/me/services/{rp.client_id}").status_code == 404
