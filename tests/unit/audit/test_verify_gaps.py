"""``verify_log``/``verify_store`` cases an outside mutation run found untested: saved heads at the
edges, gaps in the stored indexes, logs past 1,000 entries and node batches, fast mode with a
forged node, and the wire strings of every problem code."""

from __future__ import annotations

import dataclasses

import pytest

from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.tree import TransparencyLog
from civicid.audit.verify import ProblemCode, verify_log, verify_store
from tests.unit.audit.conftest import StepClock

MODES = pytest.mark.parametrize("every", [True, False], ids=["every-head", "bisect"])


def _log(key, n: int) -> tuple[TransparencyLog, MemoryLogStore]:
    store = MemoryLogStore()
    log = TransparencyLog(store, key, clock_ms=StepClock())
    log.append_leaves([f"leaf {i}".encode() for i in range(n)])
    return log, store


def _rows(store):
    return list(store.get_entries(0, store.size()))


@MODES
@pytest.mark.parametrize("n", [1, 2, 7, 8])
def test_a_saved_head_at_the_current_size_is_consistent(log_key, every, n):
    _, store = _log(log_key, n)
    rows = _rows(store)
    result = verify_log([r.data for r in rows], rows, log_key.public_key(), since=rows[-1].head,
                        check_every_head=every)
    assert result.ok and result.problems == ()
    assert result.signatures_checked >= 2  # the saved head's own signature was checked too


@MODES
def test_a_saved_head_of_size_one_is_consistent_and_an_edit_of_entry_0_breaks_it(log_key, every):
    _, store = _log(log_key, 9)
    rows = _rows(store)
    saved = rows[0].head
    assert saved.tree_size == 1
    assert verify_log([r.data for r in rows], rows, log_key.public_key(), since=saved, check_every_head=every).ok
    # the whole log rewritten and re-signed (a stolen key): only the saved head of size 1 tells
    forked_log, forked = _log(log_key, 0)
    forked_log.append_leaves([b"other 0"] + [f"leaf {i}".encode() for i in range(1, 9)])
    rows = _rows(forked)
    result = verify_log([r.data for r in rows], rows, log_key.public_key(), since=saved, check_every_head=every)
    assert not result.ok
    assert [p.code for p in result.problems] == [ProblemCode.INCONSISTENT_WITH_SAVED_HEAD]


def test_heads_for_entries_that_are_gone_are_missing_entries(log_key):
    _, store = _log(log_key, 10)
    rows = _rows(store)
    result = verify_log([r.data for r in rows[:7]], rows, log_key.public_key())
    assert not result.ok and result.first_bad_index == 7
    assert [p.code for p in result.problems] == [ProblemCode.MISSING_ENTRY]
    assert "10" in result.problems[0].message and "7" in result.problems[0].message


class _RowDeleted:
    """A store from which one entry row was deleted (``DELETE ... WHERE idx = k``): the size,
    ``max(idx) + 1``, is unchanged and the row is simply absent from reads."""

    def __init__(self, store: MemoryLogStore, deleted: int) -> None:
        self._store, self._deleted = store, deleted

    def size(self):
        return self._store.size()

    def get_entries(self, start, stop):
        return [e for e in self._store.get_entries(start, stop) if e.index != self._deleted]

    def get_nodes(self, keys):
        return self._store.get_nodes(keys)


@MODES
@pytest.mark.parametrize("deleted", [0, 4, 11])
def test_a_deleted_row_is_a_missing_entry_at_its_index(log_key, every, deleted):
    _, store = _log(log_key, 12)
    result = verify_store(_RowDeleted(store, deleted), log_key.public_key(), check_every_head=every, batch_size=5)
    assert not result.ok and result.first_bad_index == deleted
    assert result.problems[0].code is ProblemCode.MISSING_ENTRY and result.problems[0].index == deleted


@pytest.fixture(scope="module")
def big(request):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    _, store = _log(key, 1_030)
    return key, store


@MODES
@pytest.mark.parametrize("level, index", [(0, 1_000), (0, 1_029), (1, 512), (3, 126), (10, 0)])
def test_a_forged_node_past_entry_999_is_found_with_small_node_batches(big, every, level, index):
    key, store = big
    genuine = store.nodes.get(level, index)
    assert genuine is not None
    store.nodes.set(level, index, bytes(32))
    try:
        assert verify_log([r.data for r in _rows(store)], _rows(store), key.public_key(), check_every_head=every).ok
        result = verify_store(store, key.public_key(), check_every_head=every, batch_size=300, node_batch_size=7)
    finally:
        store.nodes.set(level, index, genuine)
    assert not result.ok and result.tree_size == 1_030
    assert result.first_bad_index == index << level
    assert [p.code for p in result.problems] == [ProblemCode.NODE_MISMATCH]
    assert verify_store(store, key.public_key(), check_every_head=every, batch_size=300, node_batch_size=7).ok


@MODES
def test_an_intact_log_past_1024_entries_verifies_in_batches(big, every):
    key, store = big
    result = verify_store(store, key.public_key(), check_every_head=every, batch_size=97, node_batch_size=3)
    assert result.ok and result.tree_size == 1_030
    assert result.root_hash == store.get_entries(1_029, 1_030)[0].root_hash


def test_fast_mode_compares_the_stored_nodes(log_key):
    _, store = _log(log_key, 37)
    store.nodes.set(2, 3, b"\x05" * 32)
    result = verify_store(store, log_key.public_key(), check_every_head=False)
    assert not result.ok and result.first_bad_index == 12
    assert [p.code for p in result.problems] == [ProblemCode.NODE_MISMATCH]
    assert result.signatures_checked == 1


def test_every_problem_code_has_its_wire_string():
    assert {code.name: code.value for code in ProblemCode} == {
        "ENTRY_MISMATCH": "audit.entry_mismatch",
        "BAD_SIGNATURE": "audit.bad_signature",
        "MISPLACED_HEAD": "audit.misplaced_head",
        "MISSING_HEAD": "audit.missing_head",
        "MISSING_ENTRY": "audit.missing_entry",
        "TRUNCATED": "audit.truncated",
        "INCONSISTENT_WITH_SAVED_HEAD": "audit.inconsistent_with_saved_head",
        "BAD_SAVED_HEAD": "audit.bad_saved_head",
        "NODE_MISMATCH": "audit.node_mismatch",
        "BAD_KEY_CHAIN": "audit.bad_key_chain",
        "COLUMN_MISMATCH": "audit.column_mismatch",
        "PENDING_FORGED": "audit.pending_forged",
    }


def test_each_code_is_reported_with_its_wire_string(log_key, other_key):
    _, store = _log(log_key, 6)
    rows = _rows(store)
    data = [r.data for r in rows]
    key = log_key.public_key()

    def codes(entries, heads, **kw):
        return {p.code.value for p in verify_log(entries, heads, key, **kw).problems}

    assert codes([b"x"] + data[1:], rows) == {"audit.entry_mismatch"}
    assert codes(data, [dataclasses.replace(rows[0], signature=bytes(64))] + rows[1:]) == {"audit.bad_signature"}
    assert codes(data, [rows[1]] + rows[1:]) == {"audit.misplaced_head"}
    assert codes(data, rows[:4]) == {"audit.missing_head"}
    assert codes(data[:4], rows) == {"audit.missing_entry"}
    assert codes(data[:3], rows[:3], since=rows[-1].head) == {"audit.truncated"}
    foreign, _ = _log(other_key, 1)
    assert codes(data, rows, since=foreign.signed_tree_head()) == {"audit.bad_saved_head"}
    store.nodes.set(0, 2, bytes(32))
    assert {p.code.value for p in verify_store(store, key).problems} == {"audit.node_mismatch"}
