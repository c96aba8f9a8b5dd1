"""C2SP signed-note, tlog-checkpoint and tlog-tiles: the spec's own examples, and tiles that are
the RFC 6962 hashes of the reference implementation."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.checkpoint import Checkpoint, open_checkpoint, origin_for
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.note import MalformedNote, key_id, parse_note, parse_verifier_key, verifier_key
from civicid.audit.tiles import (BadTilePath, TileNotFound, TileRef, encode_index, parse_tile_path,
                                 read_entry_bundle, read_tile, split_entry_bundle)
from civicid.audit.tree import TransparencyLog
from tests.unit.audit import rfc9162_reference as rfc
from tests.unit.audit.conftest import load_vectors


def test_the_signed_note_spec_example_verifies_and_its_vkey_round_trips():
    example = load_vectors("c2sp_signed_note.json")
    name, key = parse_verifier_key(example["vkey"])
    note = parse_note(example["note"])
    assert name == "example.com/foo" and note.text == "This is an example message.\n"
    assert note.verified_by(name, key) and verifier_key(name, key) == example["vkey"]
    assert note.dumps() == example["note"]
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    assert not note.verified_by(name, other)  # another key: no signature of it, not verified


def test_a_checkpoint_is_signed_under_its_origin_and_refuses_other_keys_and_origins(log_key):
    checkpoint = Checkpoint("id.example/log", 300, bytes(range(32)))
    signed = checkpoint.sign(log_key)
    text = signed.dumps()
    assert text.startswith("id.example/log\n300\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n\u2014 id.example/log ")
    assert parse_note(text).signatures[0].key_id == key_id("id.example/log", log_key.public_key())
    assert open_checkpoint(text, origin="id.example/log", public_key=log_key.public_key())[0] == checkpoint
    with pytest.raises(MalformedNote):
        open_checkpoint(text, origin="other.example/log", public_key=log_key.public_key())
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    with pytest.raises(MalformedNote):
        open_checkpoint(text, origin="id.example/log", public_key=other)
    with pytest.raises(MalformedNote):
        open_checkpoint(text.replace("\n300\n", "\n301\n"), origin="id.example/log", public_key=log_key.public_key())


@pytest.mark.parametrize("text", ["a\n0300\nAAAA\n", "a\n3\n", "a\n-1\n" + "A" * 43 + "=\n", "a b\n1\n" + "A" * 43 + "=\n"])
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(MalformedNote):
        Checkpoint.from_text(text)


@pytest.mark.parametrize(("url", "origin"), [("http://localhost:8000", "localhost:8000/log"),
                                              ("https://id.example.gov/", "id.example.gov/log"),
                                              ("https://gov.example/civicid/", "gov.example/civicid/log")])
def test_the_origin_is_the_scheme_less_prefix(url, origin):
    assert origin_for(url) == origin


@pytest.mark.parametrize(("index", "path"), [(0, "000"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")])
def test_tile_indexes_are_encoded_as_the_spec_says(index, path):
    assert encode_index(index) == path
    assert parse_tile_path(f"2/{path}.p/7") == TileRef(2, index, 7)
    assert parse_tile_path(f"entries/{path}") == TileRef(None, index)


@pytest.mark.parametrize("path", ["0/x000/001", "00/001", "0/1", "0/001.p/0", "0/001.p/256", "0/001.p/01",
                                  "64/001", "0/001/002", "data/001", "0/x001", "0", "", "0/001.p/"])
def test_non_canonical_tile_paths_are_refused(path):
    with pytest.raises(BadTilePath):
        parse_tile_path(path)


def test_tiles_and_bundles_hold_the_rfc6962_hashes_and_the_leaves(log_key):
    leaves = [f"leaf {i}".encode() for i in range(300)]
    store = MemoryLogStore()
    TransparencyLog(store, log_key).append_leaves(leaves)
    full = read_tile(store, TileRef(0, 0), tree_size=300)
    assert full == b"".join(rfc.sha256(b"\x00" + leaf) for leaf in leaves[:256])
    assert read_tile(store, TileRef(0, 1, 44), tree_size=300)[-32:] == rfc.sha256(b"\x00" + leaves[299])
    assert read_tile(store, TileRef(1, 0, 1), tree_size=300) == rfc.mth(leaves[:256])
    assert split_entry_bundle(read_entry_bundle(store, TileRef(None, 1, 44), tree_size=300)) == leaves[256:]
    for ref in (TileRef(0, 1), TileRef(0, 1, 45), TileRef(1, 0, 2), TileRef(None, 2, 1)):
        with pytest.raises(TileNotFound):
            (read_tile if ref.level is not None else read_entry_bundle)(store, ref, tree_size=300)
