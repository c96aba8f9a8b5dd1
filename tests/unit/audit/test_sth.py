from __future__ import annotations

import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.errors import MalformedTreeHead
from civicid.audit.sth import SignedTreeHead, sign_tree_head, tree_head_message, verify_tree_head
from tests.unit.audit.conftest import load_vectors

V = load_vectors("sth_vectors.json")
KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(V["secret_key"]))
PUB = KEY.public_key()


def head_of(case) -> SignedTreeHead:
    return SignedTreeHead(
        case["tree_size"], case["timestamp_ms"], bytes.fromhex(case["root_hash"]), bytes.fromhex(case["signature"])
    )


@pytest.mark.parametrize("case", V["cases"], ids=lambda c: f"size{c['tree_size']}")
def test_signed_encoding_and_signature_match_vectors(case):
    root = bytes.fromhex(case["root_hash"])
    message = tree_head_message(tree_size=case["tree_size"], timestamp_ms=case["timestamp_ms"], root_hash=root)
    assert message.hex() == case["message"]
    head = sign_tree_head(KEY, tree_size=case["tree_size"], timestamp_ms=case["timestamp_ms"], root_hash=root)
    assert head == head_of(case)
    assert verify_tree_head(head, PUB)


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": 9},
        {"timestamp_ms": 1_738_311_300_001},
        {"root_hash": bytes(32)},
        {"signature": bytes(64)},
    ],
)
def test_any_changed_field_breaks_the_signature(change):
    head = head_of(V["cases"][2])
    assert not verify_tree_head(dataclasses.replace(head, **change), PUB)


def test_another_key_does_not_verify():
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    assert not verify_tree_head(head_of(V["cases"][2]), other)


@dataclasses.dataclass
class Row:
    tree_size: object
    timestamp_ms: object
    root_hash: object
    signature: object


@pytest.mark.parametrize(
    "row",
    [
        Row(8.0, 1, bytes(32), bytes(64)),
        Row(True, 1, bytes(32), bytes(64)),
        Row(-1, 1, bytes(32), bytes(64)),
        Row(8, 1, bytes(31), bytes(64)),
        Row(8, 1, bytes(32), bytes(63)),
        Row(8, 1, None, bytes(64)),
        object(),
    ],
)
def test_garbled_rows_verify_false_without_raising(row):
    assert verify_tree_head(row, PUB) is False


def test_a_head_like_row_verifies():
    head = head_of(V["cases"][1])
    assert verify_tree_head(Row(head.tree_size, head.timestamp_ms, head.root_hash, head.signature), PUB)


def test_json_round_trip_and_field_names():
    head = head_of(V["cases"][2])
    obj = head.to_json()
    assert obj["sha256_root_hash"] == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    assert obj["tree_size"] == 8 and obj["timestamp"] == 1_738_311_300_000
    assert SignedTreeHead.from_json(obj) == head
    assert SignedTreeHead.loads(head.dumps()) == head


@pytest.mark.parametrize(
    "mutate",
    [
        lambda o: o.pop("version"),
        lambda o: o.update(version="civicid.audit.sth.v0"),
        lambda o: o.pop("tree_size"),
        lambda o: o.update(tree_size=-1),
        lambda o: o.update(timestamp="1"),
        lambda o: o.update(sha256_root_hash="AAAA"),
        lambda o: o.update(tree_head_signature="not base64!"),
    ],
)
def test_malformed_json_is_a_typed_error(mutate):
    obj = head_of(V["cases"][2]).to_json()
    mutate(obj)
    with pytest.raises(MalformedTreeHead) as info:
        SignedTreeHead.loads(json.dumps(obj))
    assert info.value.code == "audit.malformed_sth"


def test_non_json_is_a_typed_error():
    with pytest.raises(MalformedTreeHead):
        SignedTreeHead.loads("{")
    with pytest.raises(MalformedTreeHead):
        SignedTreeHead.loads("[1]")


def test_constructor_validates_fields():
    with pytest.raises(MalformedTreeHead):
        SignedTreeHead(1, 1, bytes(31), bytes(64))
    with pytest.raises(MalformedTreeHead):
        SignedTreeHead(1 << 64, 1, bytes(32), bytes(64))
