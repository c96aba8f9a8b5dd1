"""The witness cosigns a checkpoint only if it extends the one it cosigned before (C2SP tlog-witness)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.checkpoint import Checkpoint
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.note import MalformedNote, parse_note
from civicid.audit.tree import TransparencyLog
from civicid.audit.witness import (WitnessRefused, WitnessState, cosign, cosigned_at, cosigner_vkey,
                                   parse_cosigner_vkey, witness_checkpoint)

ORIGIN = "id.example/log"
WITNESS = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)


@pytest.fixture
def log(log_key):
    return TransparencyLog(MemoryLogStore(), log_key)


def _note(log, log_key, size: int) -> str:
    return Checkpoint(ORIGIN, size, log.root(size)).sign(log_key).dumps()


def _witness(log, log_key, size: int, state, path=None, *, timestamp=1_767_000_000):
    if path is None:
        path = log.consistency_proof(state.tree_size, size).path if state is not None and state.tree_size <= size else []
    return witness_checkpoint(_note(log, log_key, size), origin=ORIGIN, log_key=log_key.public_key(), state=state,
                              consistency_path=path, name="w.example/1", key=WITNESS, timestamp=timestamp)


def test_a_cosignature_is_timestamped_and_verifies_under_its_type_0x04_key():
    vkey = cosigner_vkey("w.example/1", WITNESS.public_key())
    name, key = parse_cosigner_vkey(vkey)
    note = Checkpoint(ORIGIN, 1, bytes(32)).sign(Ed25519PrivateKey.from_private_bytes(bytes(32)))
    line = cosign(note.text, name=name, key=WITNESS, timestamp=1_679_315_147)
    cosigned = parse_note(note.dumps() + line.line())
    assert cosigned_at(cosigned, name=name, public_key=key) == 1_679_315_147
    assert cosigned_at(note, name=name, public_key=key) is None
    with pytest.raises(MalformedNote):
        parse_cosigner_vkey(vkey.replace("+", "+0", 1))


def test_the_witness_follows_a_growing_log_and_refuses_older_and_forked_trees(log, log_key):
    log.append_leaves([f"e{i}".encode() for i in range(10)])
    first = _witness(log, log_key, 4, None)
    assert first.state == WitnessState(ORIGIN, 4, log.root(4))
    assert cosigned_at(first.note, name="w.example/1", public_key=WITNESS.public_key()) == 1_767_000_000
    second = _witness(log, log_key, 10, first.state)
    assert second.state.tree_size == 10
    assert _witness(log, log_key, 10, second.state).state == second.state  # the same tree again is fine
    with pytest.raises(WitnessRefused):
        _witness(log, log_key, 4, second.state)
    forked = WitnessState(ORIGIN, 4, bytes(32))
    with pytest.raises(WitnessRefused):
        _witness(log, log_key, 10, forked)
    with pytest.raises(WitnessRefused):
        _witness(log, log_key, 10, first.state, path=[bytes(32)])
    with pytest.raises(WitnessRefused):
        _witness(log, log_key, 10, WitnessState("other.example/log", 4, log.root(4)))


def test_a_checkpoint_the_log_did_not_sign_is_refused(log, log_key):
    log.append_leaves([b"a", b"b"])
    other = Ed25519PrivateKey.from_private_bytes(bytes(32))
    with pytest.raises(MalformedNote):
        witness_checkpoint(Checkpoint(ORIGIN, 2, log.root(2)).sign(other).dumps(), origin=ORIGIN,
                           log_key=log_key.public_key(), state=None, consistency_path=[], name="w.example/1",
                           key=WITNESS, timestamp=1)


def test_the_state_file_is_replaced_whole(tmp_path):
    path = tmp_path / "state.json"
    assert WitnessState.load(path) is None
    WitnessState(ORIGIN, 3, bytes(range(32))).save(path)
    assert WitnessState.load(path) == WitnessState(ORIGIN, 3, bytes(range(32)))
    path.write_text("{")
    with pytest.raises(MalformedNote):
        WitnessState.load(path)
