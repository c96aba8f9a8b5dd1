from __future__ import annotations

import pytest

from civicid.audit.errors import CorruptStore, MalformedProof, OutOfRange
from civicid.audit.memory_store import MemoryNodes
from civicid.audit.merkle import EMPTY_ROOT, leaf_hash
from civicid.audit.proofs import (
    MAX_PROOF_LENGTH,
    ConsistencyProof,
    InclusionProof,
    consistency_path,
    consistency_ranges,
    inclusion_path,
    inclusion_ranges,
    subtree_root,
    verify_consistency,
    verify_inclusion,
)
from tests.unit.audit import rfc9162_reference as ref
from tests.unit.audit.conftest import load_vectors

V = load_vectors("rfc9162_ct_vectors.json")
CT = [bytes.fromhex(h) for h in V["leaves_hex"]]
ROOTS = [bytes.fromhex(h) for h in V["computed"]["roots"]]


class Reader:
    """A NodeReader over a fully built MemoryNodes that counts the keys asked for."""

    def __init__(self, leaves):
        self.nodes = MemoryNodes()
        for leaf in leaves:
            self.nodes.append_leaf(leaf_hash(leaf))
        self.asked = 0

    def get_nodes(self, keys):
        self.asked += len(keys)
        return self.nodes.get_many(keys)


def hexes(hashes):
    return [h.hex() for h in hashes]


CT_READER = Reader(CT)
INCLUSION_CASES = V["published"]["inclusion"] + V["computed"]["inclusion"]
CONSISTENCY_CASES = V["published"]["consistency"] + V["computed"]["consistency"]


@pytest.mark.parametrize("case", INCLUSION_CASES, ids=lambda c: f"{c['leaf_index']}of{c['tree_size']}")
def test_inclusion_proofs_match_vectors_and_verify(case):
    i, n = case["leaf_index"], case["tree_size"]
    assert hexes(inclusion_path(CT_READER, i, n)) == case["path"]
    path = [bytes.fromhex(h) for h in case["path"]]
    assert verify_inclusion(leaf_hash(CT[i]), i, n, path, ROOTS[n])


@pytest.mark.parametrize("case", CONSISTENCY_CASES, ids=lambda c: f"{c['first']}to{c['second']}")
def test_consistency_proofs_match_vectors_and_verify(case):
    m, n = case["first"], case["second"]
    assert hexes(consistency_path(CT_READER, m, n)) == case["proof"]
    proof = [bytes.fromhex(h) for h in case["proof"]]
    assert verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)


LEAVES = [f"leaf-{i}".encode() * (i % 4) for i in range(70)]
BIG = Reader(LEAVES)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 31, 32, 33, 64, 70])
def test_every_inclusion_proof_equals_the_reference_and_each_verifier_accepts_the_other(n):
    root = ref.mth(LEAVES[:n])
    assert subtree_root(BIG, n) == root
    for i in range(n):
        mine = list(inclusion_path(BIG, i, n))
        theirs = ref.path(i, LEAVES[:n])
        assert mine == theirs
        assert ref.verify_inclusion(leaf_hash(LEAVES[i]), i, n, mine, root)
        assert verify_inclusion(leaf_hash(LEAVES[i]), i, n, theirs, root)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 31, 32, 33, 64, 70])
def test_every_consistency_proof_equals_the_reference_and_each_verifier_accepts_the_other(n):
    second = ref.mth(LEAVES[:n])
    for m in range(1, n + 1):
        first = ref.mth(LEAVES[:m])
        mine = list(consistency_path(BIG, m, n))
        theirs = ref.proof(m, LEAVES[:n])
        assert mine == theirs
        assert ref.verify_consistency(m, n, first, second, mine)
        assert verify_consistency(m, n, first, second, theirs)


def test_proofs_read_logarithmically_many_nodes():
    reader = Reader([b"x%d" % i for i in range(1000)])
    inclusion_path(reader, 517, 999)
    assert reader.asked <= 2 * 10
    reader.asked = 0
    consistency_path(reader, 611, 997)
    assert reader.asked <= 2 * 10


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


@pytest.mark.parametrize("n", [2, 3, 7, 8, 13])
def test_altered_inclusion_proofs_fail(n):
    root = ref.mth(LEAVES[:n])
    for i in range(n):
        lh = leaf_hash(LEAVES[i])
        path = ref.path(i, LEAVES[:n])
        for j in range(len(path)):
            bad = list(path)
            bad[j] = flip(bad[j])
            assert not verify_inclusion(lh, i, n, bad, root)
        assert not verify_inclusion(flip(lh), i, n, path, root)
        assert not verify_inclusion(lh, i, n, path, flip(root))
        assert not verify_inclusion(lh, i, n, path[:-1], root)
        assert not verify_inclusion(lh, i, n, path + [path[0]], root)
        for other in {i - 1, i + 1} - {-1, n}:
            assert not verify_inclusion(lh, other, n, path, root) or leaf_hash(LEAVES[other]) == lh
        # A path's shape can coincide for two sizes; the signed head binds size to root, so
        # here it is enough that both verifiers agree.
        for size in (n - 1, n + 1):
            assert verify_inclusion(lh, i, size, path, root) == ref.verify_inclusion(lh, i, size, path, root)


@pytest.mark.parametrize("n", [2, 3, 7, 8, 13])
def test_altered_consistency_proofs_fail(n):
    second = ref.mth(LEAVES[:n])
    for m in range(1, n):
        first = ref.mth(LEAVES[:m])
        proof = ref.proof(m, LEAVES[:n])
        for j in range(len(proof)):
            bad = list(proof)
            bad[j] = flip(bad[j])
            assert not verify_consistency(m, n, first, second, bad)
        assert not verify_consistency(m, n, flip(first), second, proof)
        assert not verify_consistency(m, n, first, flip(second), proof)
        assert not verify_consistency(m, n, first, second, proof[:-1])
        assert not verify_consistency(m, n, first, second, proof + [proof[-1]])
        assert not verify_consistency(m, n, second, first, proof)
        assert not verify_consistency(n, m, first, second, proof)
        for size in (n - 1, n + 1):
            assert verify_consistency(m, size, first, second, proof) == ref.verify_consistency(
                m, size, first, second, proof
            )


def test_consistency_edge_cases():
    root = ref.mth(LEAVES[:5])
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(5, 5, root, flip(root), [])
    assert not verify_consistency(5, 5, root, root, [root])
    assert verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 5, root, root, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, root, [root])
    assert not verify_consistency(3, 5, ref.mth(LEAVES[:3]), root, [])
    assert consistency_ranges(0, 9) == () and consistency_ranges(9, 9) == ()


@pytest.mark.parametrize(
    "args",
    [
        (b"short", 0, 1, [], b"x" * 32),
        (b"x" * 32, 0, 1, [], b"short"),
        (b"x" * 32, -1, 1, [], b"x" * 32),
        (b"x" * 32, 0, 1 << 64, [], b"x" * 32),
        (b"x" * 32, True, 2, [b"y" * 32], b"x" * 32),
        (b"x" * 32, 0, 2, ["not bytes"], b"x" * 32),
        (b"x" * 32, 0, 2, [b"y" * 32] * (MAX_PROOF_LENGTH + 1), b"x" * 32),
    ],
)
def test_malformed_inclusion_input_is_false_not_an_exception(args):
    assert verify_inclusion(*args) is False


def test_malformed_consistency_input_is_false_not_an_exception():
    h = b"x" * 32
    assert verify_consistency(1, 2, h, b"short", [h]) is False
    assert verify_consistency(-1, 2, h, h, [h]) is False
    assert verify_consistency(1, 2, h, h, [b"short"]) is False
    assert verify_consistency(1, 3, h, h, [h] * (MAX_PROOF_LENGTH + 1)) is False


def test_generation_refuses_impossible_requests():
    with pytest.raises(OutOfRange):
        inclusion_ranges(8, 8)
    with pytest.raises(OutOfRange):
        inclusion_ranges(-1, 8)
    with pytest.raises(OutOfRange):
        consistency_ranges(9, 8)


def test_missing_nodes_are_reported_as_a_corrupt_store():
    class Empty:
        def get_nodes(self, keys):
            return {}

    with pytest.raises(CorruptStore) as info:
        inclusion_path(Empty(), 3, 8)
    assert info.value.code == "audit.corrupt_store"


def test_proof_json_round_trips():
    inc = InclusionProof(5, 8, tuple(bytes.fromhex(h) for h in V["published"]["inclusion"][2]["path"]))
    assert InclusionProof.from_json(inc.to_json()) == inc
    assert inc.to_json()["inclusion_path"][0] == "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="
    assert inc.verify(leaf_hash(CT[5]), ROOTS[8])
    con = ConsistencyProof(6, 8, tuple(bytes.fromhex(h) for h in V["published"]["consistency"][2]["proof"]))
    assert ConsistencyProof.from_json(con.to_json()) == con
    assert set(con.to_json()) == {"tree_size_1", "tree_size_2", "consistency_path"}
    assert con.verify(ROOTS[6], ROOTS[8])


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"leaf_index": 0, "tree_size": 1},
        {"leaf_index": -1, "tree_size": 1, "inclusion_path": []},
        {"leaf_index": True, "tree_size": 1, "inclusion_path": []},
        {"leaf_index": 0, "tree_size": "1", "inclusion_path": []},
        {"leaf_index": 0, "tree_size": 2, "inclusion_path": ["@@@"]},
        {"leaf_index": 0, "tree_size": 2, "inclusion_path": ["AAAA"]},
        {"leaf_index": 0, "tree_size": 2, "inclusion_path": "AAAA"},
    ],
)
def test_malformed_proof_json_is_a_typed_error(obj):
    with pytest.raises(MalformedProof) as info:
        InclusionProof.from_json(obj)
    assert info.value.code == "audit.malformed_proof"
