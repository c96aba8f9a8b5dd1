"""The public log over HTTP: anyone can fetch heads and proofs and check them without trusting us."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicid.audit.events import EventTag
from civicid.audit.sth import SignedTreeHead, verify_tree_head
from tests.unit.audit import rfc9162_reference as rfc


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _filled(h, count: int) -> list[bytes]:
    with h.runtime.transaction() as session:
        log = h.runtime.access_log(session)
        for i in range(count):
            log.record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1", citizen_id=f"c{i}", purpose=f"check {i}")
    return [_b64(h.client.get("/api/v1/transparency/inclusion", params={"leaf_index": i}).json()["leaf"])
            for i in range(count)]


def test_head_and_proofs_verify_with_the_published_key_and_the_rfc_reference(harness_factory):
    h = harness_factory()
    leaves = _filled(h, 7)
    head = SignedTreeHead.from_json(h.client.get("/api/v1/transparency/sth").json())
    key = Ed25519PublicKey.from_public_bytes(_b64(h.client.get("/api/v1/transparency/public-key").json()["public_key"]))
    assert head.tree_size == 7 and verify_tree_head(head, key)
    assert rfc.mth(leaves) == head.root_hash

    proof = h.client.get("/api/v1/transparency/inclusion", params={"leaf_index": 3, "tree_size": 7}).json()
    path = [_b64(p) for p in proof["inclusion_path"]]
    assert rfc.verify_inclusion(rfc.sha256(b"\x00" + leaves[3]), 3, 7, path, head.root_hash)

    old_root = rfc.mth(leaves[:4])
    consistency = h.client.get("/api/v1/transparency/consistency", params={"first": 4, "second": 7}).json()
    assert rfc.roots_from_proof(4, 7, old_root, [_b64(p) for p in consistency["consistency_path"]]) == (old_root, head.root_hash)


def test_out_of_range_queries_are_typed_errors(harness_factory):
    h = harness_factory()
    _filled(h, 3)
    for params in ({"leaf_index": 3}, {"leaf_index": 0, "tree_size": 9}):
        response = h.client.get("/api/v1/transparency/inclusion", params=params)
        assert response.status_code == 422 and response.json()["error"]["code"] == "audit.out_of_range"
    bad = h.client.get("/api/v1/transparency/consistency", params={"first": 5, "second": 2})
    assert bad.json()["error"]["code"] == "audit.out_of_range"
    assert h.client.get("/api/v1/transparency/inclusion", params={"leaf_index": -1}).json()["error"]["code"] == "request.invalid"


def test_history_needs_a_signed_in_citizen(harness_factory):
    response = harness_factory().client.get("/api/v1/me/history")
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth.required"
