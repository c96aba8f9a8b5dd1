from __future__ import annotations

import pytest

from civicid.audit.memory_store import MemoryNodes
from civicid.audit.merkle import (
    EMPTY_ROOT,
    fold,
    leaf_hash,
    perfect_subtrees,
    split_point,
)
from tests.unit.audit import rfc9162_reference as ref
from tests.unit.audit.conftest import load_vectors

V = load_vectors("rfc9162_ct_vectors.json")
LEAVES = [bytes.fromhex(h) for h in V["leaves_hex"]]


def test_empty_root_is_sha256_of_empty_string():
    assert EMPTY_ROOT.hex() == V["computed"]["empty_root"] == V["computed"]["roots"][0]


@pytest.mark.parametrize("i", range(8))
def test_leaf_hashes_match_vectors(i):
    assert leaf_hash(LEAVES[i]).hex() == V["computed"]["leaf_hashes"][i]


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_from_perfect_subtrees_match_published_roots(n):
    nodes = MemoryNodes()
    for leaf in LEAVES[:n]:
        nodes.append_leaf(leaf_hash(leaf))
    root = fold([nodes.get(*key) for key in perfect_subtrees(0, n)])
    assert root.hex() == V["published"]["roots"][n - 1]


@pytest.mark.parametrize("n", range(2, 70))
def test_split_point_is_the_largest_power_of_two_below_n(n):
    k = split_point(n)
    assert k & (k - 1) == 0 and k < n <= 2 * k
    assert k == ref.k_of(n)


def test_split_point_rejects_trees_without_a_split():
    with pytest.raises(ValueError):
        split_point(1)


def test_perfect_subtrees_follow_the_binary_expansion():
    assert perfect_subtrees(0, 0) == ()
    assert perfect_subtrees(0, 13) == ((3, 0), (2, 2), (0, 12))
    assert perfect_subtrees(8, 13) == ((2, 2), (0, 12))
    assert perfect_subtrees(16, 21) == ((2, 4), (0, 20))


def test_perfect_subtrees_reject_ranges_the_rfc_never_forms():
    with pytest.raises(ValueError):
        perfect_subtrees(1, 3)
    with pytest.raises(ValueError):
        perfect_subtrees(5, 4)


@pytest.mark.parametrize("n", range(1, 40))
def test_every_prefix_root_equals_the_reference(n):
    leaves = [bytes([i]) * (i % 3) for i in range(n)]
    nodes = MemoryNodes()
    for leaf in leaves:
        nodes.append_leaf(leaf_hash(leaf))
    assert fold([nodes.get(*key) for key in perfect_subtrees(0, n)]) == ref.mth(leaves)

