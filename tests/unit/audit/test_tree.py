from __future__ import annotations

import pytest

from civicid.audit.errors import AppendConflict, CorruptStore, OutOfRange
from civicid.audit.events import LogEvent
from civicid.audit.interfaces import LogStore, StoredEntry
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.merkle import EMPTY_ROOT, leaf_hash
from civicid.audit.proofs import verify_consistency, verify_inclusion
from civicid.audit.sth import verify_tree_head
from civicid.audit.tree import TransparencyLog
from tests.unit.audit import rfc9162_reference as ref
from tests.unit.audit.conftest import StepClock, load_vectors, make_event

V = load_vectors("rfc9162_ct_vectors.json")
CT = [bytes.fromhex(h) for h in V["leaves_hex"]]


def test_memory_store_implements_the_protocol():
    assert isinstance(MemoryLogStore(), LogStore)


def test_appending_the_ct_leaves_signs_the_published_roots(log_key):
    store = MemoryLogStore()
    log = TransparencyLog(store, log_key, clock_ms=lambda: 1234)
    for i, leaf in enumerate(CT):
        result = log.append_leaf(leaf)
        assert result.index == i
        assert result.leaf_hash == leaf_hash(leaf)
        assert result.head.tree_size == i + 1
        assert result.head.root_hash.hex() == V["published"]["roots"][i]
        assert result.head.timestamp_ms == 1234
        assert verify_tree_head(result.head, log_key.public_key())
        assert log.signed_tree_head(i + 1) == result.head
    assert log.root().hex() == V["published"]["roots"][7]
    assert [log.root(n).hex() for n in range(9)] == V["computed"]["roots"]


def test_each_append_stores_exactly_the_perfect_subtrees_it_completes(log_key):
    store = MemoryLogStore()
    log = TransparencyLog(store, log_key, clock_ms=StepClock())
    for i in range(40):
        log.append_leaf(b"%d" % i)
        # level l holds floor((i + 1) / 2**l) nodes: exactly the completed perfect subtrees
        for level in range(8):
            assert store.nodes.count(level) == (i + 1) >> level


class CountingStore(MemoryLogStore):
    def __init__(self):
        super().__init__()
        self.keys_read = 0
        self.entry_reads = 0

    def get_nodes(self, keys):
        self.keys_read += len(keys)
        return super().get_nodes(keys)

    def get_entries(self, start, stop):
        self.entry_reads += 1
        return super().get_entries(start, stop)


def test_append_and_proofs_read_logarithmically_many_nodes(log_key):
    store = CountingStore()
    log = TransparencyLog(store, log_key, clock_ms=StepClock())
    worst = 0
    for i in range(1500):
        before = store.keys_read
        log.append_leaf(b"%d" % i)
        worst = max(worst, store.keys_read - before)
    assert worst <= 11  # popcount(size) <= log2(1500) + 1
    assert store.entry_reads == 0  # appending never reads history
    for call in (
        lambda: log.inclusion_proof(3, 1111),
        lambda: log.consistency_proof(777, 1499),
        lambda: log.root(1023),
    ):
        before = store.keys_read
        call()
        assert store.keys_read - before <= 2 * 11


def test_proofs_for_historical_sizes_match_the_reference(build_log):
    log, store = build_log(45)
    data = [row.data for row in store.get_entries(0, 45)]
    for n in (1, 2, 7, 16, 17, 30, 45):
        root = log.root(n)
        assert root == ref.mth(data[:n])
        for i in (0, n // 2, n - 1):
            proof = log.inclusion_proof(i, n)
            assert list(proof.path) == ref.path(i, data[:n])
            assert verify_inclusion(leaf_hash(data[i]), i, n, proof.path, root)
        for m in (1, n // 3 or 1, n):
            proof = log.consistency_proof(m, n)
            assert list(proof.path) == ref.proof(m, data[:n])
            assert verify_consistency(m, n, log.root(m), root, proof.path)


def test_defaults_are_the_latest_size(build_log):
    log, _ = build_log(9)
    assert log.inclusion_proof(4).tree_size == 9
    assert log.consistency_proof(3).second_size == 9
    assert log.signed_tree_head().tree_size == 9
    assert log.signed_tree_head() == log.entry(8).head


def test_events_round_trip_through_the_log(build_log):
    log, _ = build_log(5)
    assert LogEvent.from_bytes(log.entry(3).data) == make_event(3)
    assert [row.index for row in log.entries(1, 4)] == [1, 2, 3]


def test_empty_log_signs_a_head_for_size_zero(log_key):
    log = TransparencyLog(MemoryLogStore(), log_key, clock_ms=lambda: 99)
    head = log.signed_tree_head()
    assert (head.tree_size, head.root_hash, head.timestamp_ms) == (0, EMPTY_ROOT, 99)
    assert verify_tree_head(head, log.public_key)
    assert log.root() == EMPTY_ROOT


def test_requests_outside_the_log_are_typed_errors(build_log):
    log, _ = build_log(4)
    for call in (
        lambda: log.inclusion_proof(4),
        lambda: log.inclusion_proof(0, 5),
        lambda: log.consistency_proof(3, 5),
        lambda: log.consistency_proof(4, 3),
        lambda: log.signed_tree_head(5),
        lambda: log.root(-1),
        lambda: log.entry(4),
        lambda: log.entry(-1),
    ):
        with pytest.raises(OutOfRange) as info:
            call()
        assert info.value.code == "audit.out_of_range"


class RacingStore(MemoryLogStore):
    """Another replica appends just before each of our first ``races`` writes."""

    def __init__(self, rival_key, races):
        super().__init__()
        self.races = races
        self.rival_writing = False
        self.rival = TransparencyLog(self, rival_key, clock_ms=lambda: 5)

    def append(self, entries, nodes):
        if self.races and not self.rival_writing:
            self.races -= 1
            self.rival_writing = True
            self.rival.append_leaf(b"rival")
            self.rival_writing = False
        super().append(entries, nodes)


def test_concurrent_append_conflicts_are_retried_on_fresh_state(log_key):
    store = RacingStore(log_key, races=2)
    log = TransparencyLog(store, log_key, clock_ms=lambda: 7)
    result = log.append_leaf(b"mine")
    assert result.index == 2
    data = [row.data for row in store.get_entries(0, 3)]
    assert data == [b"rival", b"rival", b"mine"]
    assert result.head.root_hash == ref.mth(data)


def test_append_gives_up_after_max_attempts(log_key):
    store = RacingStore(log_key, races=10)
    log = TransparencyLog(store, log_key, clock_ms=lambda: 7, max_attempts=3)
    with pytest.raises(AppendConflict) as info:
        log.append_leaf(b"mine")
    assert info.value.code == "audit.append_conflict"


def test_memory_store_refuses_an_append_at_a_taken_index(build_log):
    _, store = build_log(3)
    row = store.get_entries(2, 3)[0]
    with pytest.raises(AppendConflict):
        store.append([row], {})


def test_missing_nodes_surface_as_corrupt_store(log_key):
    class Forgetful(MemoryLogStore):
        def get_nodes(self, keys):
            return {}

    log = TransparencyLog(Forgetful(), log_key, clock_ms=lambda: 1)
    log.append_leaf(b"first")  # size 0: nothing to read
    with pytest.raises(CorruptStore):
        log.append_leaf(b"second")


@pytest.mark.parametrize("start, batch", [(0, 1), (0, 7), (5, 3), (8, 8), (13, 20)])
def test_a_batch_append_stores_what_one_by_one_appends_would(log_key, start, batch):
    """The sequencer appends runs of events; every entry must still carry the head of its own size
    and the nodes must be those of single appends."""
    leaves = [make_event(i).to_bytes() for i in range(start + batch)]
    single, batched = MemoryLogStore(), MemoryLogStore()
    one_by_one = TransparencyLog(single, log_key, clock_ms=lambda: 9)
    in_runs = TransparencyLog(batched, log_key, clock_ms=lambda: 9)
    for leaf in leaves:
        one_by_one.append_leaf(leaf)
    for leaf in leaves[:start]:
        in_runs.append_leaf(leaf)
    results = in_runs.append_leaves(leaves[start:])
    assert [r.index for r in results] == list(range(start, start + batch))
    assert batched.get_entries(0, len(leaves)) == single.get_entries(0, len(leaves))
    every_node = [(level, index) for level in range(6) for index in range(len(leaves) >> level)]
    assert batched.get_nodes(every_node) == single.get_nodes(every_node)
    for result in results:
        assert result.head.root_hash == ref.mth(leaves[:result.index + 1])
        assert verify_tree_head(result.head, log_key.public_key())


def test_the_memory_store_refuses_a_batch_that_skips_an_index(build_log):
    log, store = build_log(2)
    entries = log.entries(0, 2)
    with pytest.raises(AppendConflict):
        store.append([StoredEntry(3, e.data, e.timestamp_ms, e.root_hash, e.signature) for e in entries[:1]], {})
