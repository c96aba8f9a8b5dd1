"""Log-key rotation: old heads verify under the key that signed them, new heads under the
endorsed successor, and a rotation the previous key did not endorse breaks the chain visibly."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.log_keys import KeyChain, endorse, endorsement_message, raw_public_key
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.tree import TransparencyLog
from civicid.audit.verify import ProblemCode, verify_log, verify_store
from tests.unit.audit.conftest import StepClock

MODES = pytest.mark.parametrize("every", [True, False], ids=["every-head", "bisect"])
KEY_1 = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEY_2 = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEY_3 = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
FORGER = Ed25519PrivateKey.from_private_bytes(b"\x09" * 32)


def _rotated_log(sizes=(5, 4, 3)):
    """A log whose first 5 heads key 1 signed, the next 4 key 2 and the last 3 key 3."""
    store, clock, rotations, done = MemoryLogStore(), StepClock(), [], 0
    keys = [KEY_1, KEY_2, KEY_3]
    for serial, (key, count) in enumerate(zip(keys, sizes), start=1):
        if serial > 1:
            rotations.append(endorse(keys[serial - 2], key.public_key(), serial=serial, first_size=done + 1))
        TransparencyLog(store, key, clock_ms=clock).append_leaves([f"leaf {done + i}".encode() for i in range(count)])
        done += count
    return store, rotations


def _check(store, rotations, **kwargs):
    rows = list(store.get_entries(0, store.size()))
    return verify_log([r.data for r in rows], rows, KEY_1.public_key(), rotations=rotations, **kwargs)


def test_the_endorsed_bytes_are_the_documented_layout():
    public = bytes(range(40, 72))
    assert endorsement_message(serial=2, first_size=9, public_key=public) == (
        b"civicid.audit.log_key.v1\x00" + b"\x00\x00\x00\x02" + b"\x00" * 7 + b"\x09" + public)
    rotation = endorse(KEY_1, KEY_2.public_key(), serial=2, first_size=9)
    KEY_1.public_key().verify(rotation.endorsement, endorsement_message(serial=2, first_size=9,
                                                                        public_key=rotation.public_key))


@MODES
def test_a_rotated_log_verifies_with_its_chain_and_not_without_it(every):
    store, rotations = _rotated_log()
    result = _check(store, rotations, check_every_head=every)
    assert result.ok and result.tree_size == 12
    without = _check(store, [], check_every_head=every)
    assert not without.ok and without.first_bad_index == 5
    assert [p.code for p in without.problems] == [ProblemCode.BAD_SIGNATURE]
    assert verify_store(store, KEY_1.public_key(), rotations=rotations, check_every_head=every).ok


@MODES
@pytest.mark.parametrize("saved_at", [1, 5, 6, 9, 10, 12])
def test_heads_saved_before_and_after_each_rotation_still_verify(every, saved_at):
    store, rotations = _rotated_log()
    saved = store.get_entries(saved_at - 1, saved_at)[0].head
    assert _check(store, rotations, since=saved, check_every_head=every).ok


def test_each_head_verifies_under_the_key_for_its_size_only():
    store, rotations = _rotated_log()
    chain = KeyChain.build(KEY_1.public_key(), rotations)
    assert chain.rejected is None and chain.current[0] == 3
    for row in store.get_entries(0, 12):
        assert chain.verifies(row.head)
        signer = KEY_1 if row.tree_size <= 5 else KEY_2 if row.tree_size <= 9 else KEY_3
        assert raw_public_key(chain.key_for(row.tree_size)) == raw_public_key(signer.public_key())
        for other in {KEY_1, KEY_2, KEY_3} - {signer}:
            assert not KeyChain.build(other.public_key()).verifies(row.head)


def test_the_empty_tree_head_verifies_under_any_key_of_the_chain():
    _, rotations = _rotated_log()
    chain = KeyChain.build(KEY_1.public_key(), rotations)
    for key in (KEY_1, KEY_2, KEY_3):
        assert chain.verifies(TransparencyLog(MemoryLogStore(), key, clock_ms=lambda: 7).signed_tree_head())
    assert not chain.verifies(TransparencyLog(MemoryLogStore(), FORGER, clock_ms=lambda: 7).signed_tree_head())


def _forged_successor(rotations):
    # the forger endorses their own key: only key 1 may endorse key 2
    return [endorse(FORGER, FORGER.public_key(), serial=2, first_size=6), rotations[1]]


TAMPERED = {
    "serial": lambda r: [dataclasses.replace(r[0], serial=3), r[1]],
    "first_size": lambda r: [dataclasses.replace(r[0], first_size=7), r[1]],
    "public_key": lambda r: [dataclasses.replace(r[0], public_key=raw_public_key(FORGER.public_key())), r[1]],
    "endorsement": lambda r: [dataclasses.replace(r[0], endorsement=bytes(64)), r[1]],
    "short_key": lambda r: [dataclasses.replace(r[0], public_key=b"\x01" * 31), r[1]],
    "forged_successor": _forged_successor,
    "deleted": lambda r: [r[1]],
}


@MODES
@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_rotation_not_endorsed_by_its_predecessor_breaks_the_chain_at_its_first_head(every, tamper):
    store, rotations = _rotated_log()
    result = _check(store, tamper(list(rotations)), check_every_head=every)
    assert not result.ok and result.first_bad_index == 5
    assert {p.code for p in result.problems} == {ProblemCode.BAD_KEY_CHAIN, ProblemCode.BAD_SIGNATURE}


def test_a_later_rotation_tampered_leaves_the_earlier_ones_valid():
    store, rotations = _rotated_log()
    result = _check(store, [rotations[0], dataclasses.replace(rotations[1], first_size=11)])
    assert not result.ok and result.first_bad_index == 9
    assert {p.code.value for p in result.problems} == {"audit.bad_key_chain", "audit.bad_signature"}


def test_a_rotation_may_not_start_before_its_predecessor():
    rotations = [endorse(KEY_1, KEY_2.public_key(), serial=2, first_size=6),
                 endorse(KEY_2, KEY_3.public_key(), serial=3, first_size=5)]
    chain = KeyChain.build(KEY_1.public_key(), rotations)
    assert chain.rejected == rotations[1] and chain.current[0] == 2
    assert KeyChain.build(KEY_1.public_key(), [endorse(KEY_1, KEY_2.public_key(), serial=2, first_size=0)]).rejected


def test_a_rotation_at_the_same_size_supersedes_one_that_never_signed():
    rotations = [endorse(KEY_1, KEY_2.public_key(), serial=2, first_size=6),
                 endorse(KEY_2, KEY_3.public_key(), serial=3, first_size=6)]
    chain = KeyChain.build(KEY_1.public_key(), rotations)
    assert chain.rejected is None
    assert raw_public_key(chain.key_for(6)) == raw_public_key(KEY_3.public_key())
    assert raw_public_key(chain.key_for(5)) == raw_public_key(KEY_1.public_key())


def test_rotation_json_names_its_fields():
    rotation = endorse(KEY_1, KEY_2.public_key(), serial=2, first_size=9)
    body = rotation.to_json()
    assert set(body) == {"serial", "public_key", "first_size", "endorsement"}
    assert body["serial"] == 2 and body["first_size"] == 9
    assert base64.b64decode(body["public_key"]) == raw_public_key(KEY_2.public_key())
    assert base64.b64decode(body["endorsement"]) == rotation.endorsement
