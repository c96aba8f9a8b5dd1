"""Hypothesis: any sequence of appends gives a tree whose proofs verify, and wrong proofs fail."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.merkle import leaf_hash
from civicid.audit.proofs import verify_consistency, verify_inclusion
from civicid.audit.tree import TransparencyLog
from civicid.audit.verify import verify_log
from tests.unit.audit import rfc9162_reference as ref

leaves_strategy = st.lists(st.binary(max_size=24), min_size=1, max_size=80)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def build(log_key, leaves):
    store = MemoryLogStore()
    log = TransparencyLog(store, log_key, clock_ms=lambda: 1)
    heads = [log.append_leaf(leaf).head for leaf in leaves]
    return log, heads


@SETTINGS
@given(leaves=leaves_strategy, data=st.data())
def test_any_two_sizes_are_consistent_and_every_leaf_is_included(log_key, leaves, data):
    log, heads = build(log_key, leaves)
    n = len(leaves)
    roots = [ref.mth(leaves[:size]) for size in range(n + 1)]
    assert [h.root_hash for h in heads] == roots[1:]

    second = data.draw(st.integers(1, n), label="second")
    first = data.draw(st.integers(0, second), label="first")
    proof = log.consistency_proof(first, second).path
    assert verify_consistency(first, second, roots[first], roots[second], proof)
    if first:
        assert list(proof) == ref.proof(first, leaves[:second])
        assert ref.verify_consistency(first, second, roots[first], roots[second], proof)

    for i in range(second):
        path = log.inclusion_proof(i, second).path
        assert verify_inclusion(leaf_hash(leaves[i]), i, second, path, roots[second])
        assert ref.verify_inclusion(leaf_hash(leaves[i]), i, second, path, roots[second])


@SETTINGS
@given(leaves=leaves_strategy, data=st.data())
def test_wrong_proofs_fail(log_key, leaves, data):
    log, _ = build(log_key, leaves)
    n = len(leaves)
    root = ref.mth(leaves)
    i = data.draw(st.integers(0, n - 1), label="leaf")
    path = list(log.inclusion_proof(i, n).path)
    if path:
        j = data.draw(st.integers(0, len(path) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        bad = list(path)
        bad[j] = bad[j][: bit // 8] + bytes([bad[j][bit // 8] ^ (1 << (bit % 8))]) + bad[j][bit // 8 + 1 :]
        assert not verify_inclusion(leaf_hash(leaves[i]), i, n, bad, root)
        assert not verify_inclusion(leaf_hash(leaves[i]), i, n, path[:-1], root)
    other = data.draw(st.binary(max_size=24), label="other leaf")
    if other != leaves[i]:
        assert not verify_inclusion(leaf_hash(other), i, n, path, root)

    if n >= 2:
        first = data.draw(st.integers(1, n - 1), label="first")
        proof = list(log.consistency_proof(first, n).path)
        first_root = ref.mth(leaves[:first])
        tampered = list(leaves)
        k = data.draw(st.integers(0, first - 1), label="tampered leaf")
        tampered[k] = tampered[k] + b"!"
        assert not verify_consistency(first, n, ref.mth(tampered[:first]), root, proof)
        j = data.draw(st.integers(0, len(proof) - 1), label="element")
        proof[j] = bytes(32)
        assert not verify_consistency(first, n, first_root, root, proof)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(leaves=st.lists(st.binary(max_size=8), min_size=1, max_size=40), data=st.data())
def test_verify_log_pins_any_single_edit(log_key, leaves, data):
    _, heads = build(log_key, leaves)
    j = data.draw(st.integers(0, len(leaves) - 1), label="edited")
    edited = list(leaves)
    edited[j] = edited[j] + b"\x00"
    for every in (True, False):
        assert verify_log(leaves, heads, log_key.public_key(), check_every_head=every).ok
        result = verify_log(edited, heads, log_key.public_key(), check_every_head=every)
        assert result.first_bad_index == j
