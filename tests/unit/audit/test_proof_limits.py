"""The RFC 9162 verifiers at their edges, with literal values (never the module's own constants):
malformed input is False and never an exception, 64 path elements is the most a tree of fewer than
2**64 leaves needs, sizes of 2**64 and more are refused, and trees past 1,024 leaves work."""

from __future__ import annotations

import hashlib

import pytest

from civicid.audit.memory_store import MemoryNodes
from civicid.audit.merkle import leaf_hash
from civicid.audit.proofs import consistency_path, inclusion_path, verify_consistency, verify_inclusion
from tests.unit.audit import rfc9162_reference as ref

# 64 distinct, literal 32-byte path elements and a literal leaf hash
PATH_64 = [bytes([i]) * 32 for i in range(1, 65)]
LEAF = hashlib.sha256(b"\x00" + b"literal leaf").digest()


def _fold_right_siblings(start: bytes, siblings: list[bytes]) -> bytes:
    """Root of leaf 0 whose siblings are all to its right: HASH(0x01 || r || p), by hand."""
    r = start
    for p in siblings:
        r = hashlib.sha256(b"\x01" + r + p).digest()
    return r


ROOT_64 = _fold_right_siblings(LEAF, PATH_64)


def test_empty_hashes_are_not_a_proof():
    # would be True if either hash check were dropped: index 0 of 1 needs no path, and r == root
    assert verify_inclusion(b"", 0, 1, [], b"") is False
    assert verify_inclusion(LEAF, 0, 1, [], LEAF) is True  # the same call with real hashes


@pytest.mark.parametrize("args", [
    (1, 2, b"a" * 32, b"b" * 32, None),
    (1, 2, b"a" * 32, b"b" * 32, 7),
    (True, 1, b"r" * 32, b"r" * 32, []),
    (1, True, b"r" * 32, b"r" * 32, []),
    (1, 1, b"x", b"x", []),
    (1, 2, b"a" * 32, b"b" * 32, [None]),
    (1, 2, b"a" * 32, b"b" * 32, [b"short"]),
    (2, 1, b"a" * 32, b"b" * 32, []),
    (-1, 1, b"a" * 32, b"b" * 32, []),
    ("1", 2, b"a" * 32, b"b" * 32, [b"c" * 32]),
])
def test_malformed_consistency_input_is_false_and_never_raises(args):
    assert verify_consistency(*args) is False


@pytest.mark.parametrize("path", [None, 7, [None], [b"short"]])
def test_malformed_inclusion_paths_are_false_and_never_raise(path):
    assert verify_inclusion(LEAF, 0, 2, path, LEAF) is False


def test_one_and_one_with_equal_real_roots_is_the_only_true_case_of_those():
    root = hashlib.sha256(b"\x00x").digest()
    assert verify_consistency(1, 1, root, root, []) is True
    assert verify_consistency(1, 1, root, root, [root]) is False


def test_a_literal_64_element_inclusion_path_verifies_and_65_fails():
    # leaf 0 of a tree of 2**63 + 1 leaves has exactly 64 siblings, all to its right
    assert verify_inclusion(LEAF, 0, 2**63 + 1, PATH_64, ROOT_64) is True
    assert verify_inclusion(LEAF, 0, 2**64 - 1, PATH_64, ROOT_64) is True
    path_65 = PATH_64 + [b"\x41" * 32]
    assert verify_inclusion(LEAF, 0, 2**64 - 1, path_65, _fold_right_siblings(LEAF, path_65)) is False


def test_inclusion_sizes_of_2_to_the_64_and_more_are_refused():
    # the same path would fold to the same root at 2**64: only the size check refuses it
    assert verify_inclusion(LEAF, 0, 2**64, PATH_64, ROOT_64) is False
    assert verify_inclusion(LEAF, 2**64, 2**64 + 1, PATH_64, ROOT_64) is False


def test_a_literal_64_element_consistency_proof_verifies_and_sizes_of_2_to_the_64_are_refused():
    # from size 1 (a power of two, so the first root is prepended) every proof node is to the right
    first_root = LEAF
    second_root = _fold_right_siblings(first_root, PATH_64)
    assert verify_consistency(1, 2**63 + 1, first_root, second_root, PATH_64) is True
    assert verify_consistency(1, 2**64 - 1, first_root, second_root, PATH_64) is True
    assert verify_consistency(1, 2**64, first_root, second_root, PATH_64) is False
    path_65 = PATH_64 + [b"\x41" * 32]
    assert verify_consistency(1, 2**64 - 1, first_root, _fold_right_siblings(first_root, path_65), path_65) is False
    assert verify_consistency(2**64, 2**64, first_root, first_root, []) is False
    assert verify_consistency(2**64 - 1, 2**64 - 1, first_root, first_root, []) is True


# --- a real tree past 1,024 leaves (proofs of 11 and 12 elements) ------------------------------

N = 2_500
LEAVES = [f"entry {i}".encode() for i in range(N)]


@pytest.fixture(scope="module")
def nodes() -> MemoryNodes:
    built = MemoryNodes()
    for leaf in LEAVES:
        built.append_leaf(leaf_hash(leaf))
    return built


class _Reader:
    def __init__(self, nodes: MemoryNodes) -> None:
        self.nodes = nodes

    def get_nodes(self, keys):
        return self.nodes.get_many(keys)


@pytest.mark.parametrize("index, size", [(0, 2_500), (1_023, 1_025), (2_047, 2_049), (2_000, 2_500), (1_500, 2_048)])
def test_inclusion_past_1024_leaves_matches_the_reference(nodes, index, size):
    path = inclusion_path(_Reader(nodes), index, size)
    assert len(path) > 10
    assert list(path) == ref.path(index, LEAVES[:size])
    root = ref.mth(LEAVES[:size])
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, path, root) is True
    assert ref.verify_inclusion(leaf_hash(LEAVES[index]), index, size, list(path), root)


@pytest.mark.parametrize("first, second", [(3, 2_500), (1_024, 2_049), (1_025, 2_500), (700, 2_048)])
def test_consistency_past_1024_leaves_matches_the_reference(nodes, first, second):
    proof = consistency_path(_Reader(nodes), first, second)
    assert list(proof) == ref.proof(first, LEAVES[:second])
    assert verify_consistency(first, second, ref.mth(LEAVES[:first]), ref.mth(LEAVES[:second]), proof) is True
