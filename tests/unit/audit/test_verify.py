from __future__ import annotations

import dataclasses

import pytest

from civicid.audit.interfaces import StoredEntry
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.merkle import EMPTY_ROOT, leaf_hash
from civicid.audit.proofs import verify_inclusion
from civicid.audit.tree import TransparencyLog
from civicid.audit.verify import ProblemCode, verify_log, verify_store
from tests.unit.audit.conftest import StepClock, make_event

N = 37
MODES = pytest.mark.parametrize("every", [True, False], ids=["every-head", "bisect"])


@pytest.fixture
def rows(build_log) -> list[StoredEntry]:
    _, store = build_log(N)
    return list(store.get_entries(0, N))


def check(rows, key, **kwargs):
    return verify_log([r.data for r in rows], rows, key.public_key(), **kwargs)


def renumber(rows):
    """What a DBA must do to hide a deleted or inserted row: close the gap in the index column."""
    return [dataclasses.replace(r, index=i) for i, r in enumerate(rows)]


@MODES
def test_an_intact_log_verifies(rows, log_key, every):
    result = check(rows, log_key, check_every_head=every)
    assert result.ok and result.first_bad_index is None and result.problems == ()
    assert result.tree_size == N
    assert result.root_hash == rows[-1].root_hash


@MODES
def test_an_empty_log_verifies(log_key, every):
    result = verify_log([], [], log_key.public_key(), check_every_head=every)
    assert result.ok and result.tree_size == 0 and result.root_hash == EMPTY_ROOT


def edit(rows, j):
    rows[j] = dataclasses.replace(rows[j], data=rows[j].data.replace(b"c_", b"c-"))
    return rows


def edit_and_resign_roots_with_a_forged_key(rows, j):
    # The DBA edits entry j and rewrites every later stored root so they match the new entries;
    # without the log key the signatures cannot follow.
    rows = edit(rows, j)
    forged = TransparencyLog(MemoryLogStore(), _forger(), clock_ms=StepClock())
    for r in rows:
        forged.append_leaf(r.data)
    return [dataclasses.replace(r, root_hash=forged.root(i + 1)) if i >= j else r for i, r in enumerate(rows)]


def _forger():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)


def delete(rows, j):
    del rows[j]
    return rows


def delete_and_renumber(rows, j):
    return renumber(delete(rows, j))


def insert(rows, j):
    fake = dataclasses.replace(rows[j], data=make_event(1000).to_bytes())
    rows.insert(j, fake)
    return renumber(rows)


def reorder_entries(rows, j):
    data = [r.data for r in rows]
    data[j], data[j + 3] = data[j + 3], data[j]
    return [dataclasses.replace(r, data=d) for r, d in zip(rows, data)]


def reorder_rows(rows, j):
    rows[j], rows[j + 3] = rows[j + 3], rows[j]
    return renumber(rows)


def unsign_tail(rows, j):
    # Everything from j on was appended outside the log: no valid signatures.
    return rows[:j] + [dataclasses.replace(r, signature=bytes(64)) for r in rows[j:]]


def append_unsigned(rows, j):
    del rows[j:]
    rows.append(StoredEntry(j, make_event(999).to_bytes(), 1, b"\x01" * 32, b"\x02" * 64))
    return rows


def move_signature(rows, j):
    # Copy a valid head from another row: a real signature, but for the wrong size.
    rows[j] = dataclasses.replace(rows[j], timestamp_ms=rows[j + 1].timestamp_ms, root_hash=rows[j + 1].root_hash,
                                  signature=rows[j + 1].signature)
    return rows


TAMPERINGS = [
    edit,
    edit_and_resign_roots_with_a_forged_key,
    delete,
    delete_and_renumber,
    insert,
    reorder_entries,
    reorder_rows,
    unsign_tail,
    append_unsigned,
]


@MODES
@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("j", [0, 1, 17, 31, N - 4])
def test_every_kind_of_tampering_is_found_at_its_first_index(rows, log_key, tamper, j, every):
    result = check(tamper(list(rows), j), log_key, check_every_head=every)
    assert not result.ok
    assert result.first_bad_index == j
    assert result.problems[0].index == j
    assert result.problems[0].code in {
        ProblemCode.ENTRY_MISMATCH,
        ProblemCode.BAD_SIGNATURE,
        ProblemCode.MISPLACED_HEAD,
        ProblemCode.MISSING_ENTRY,
    }


def test_problem_codes_name_what_happened(rows, log_key):
    assert check(edit(list(rows), 5), log_key).problems[0].code is ProblemCode.ENTRY_MISMATCH
    assert check(unsign_tail(list(rows), 5), log_key).problems[0].code is ProblemCode.BAD_SIGNATURE
    assert check(delete(list(rows), 5), log_key).problems[0].code is ProblemCode.MISPLACED_HEAD
    assert check(delete_and_renumber(list(rows), 5), log_key).problems[0].code is ProblemCode.BAD_SIGNATURE
    assert check(move_signature(list(rows), 5), log_key).problems[0].code is ProblemCode.BAD_SIGNATURE


def test_every_head_mode_finds_a_single_damaged_head_in_an_intact_log(rows, log_key):
    tampered = list(rows)
    tampered[12] = dataclasses.replace(tampered[12], signature=bytes(64))
    result = check(tampered, log_key)
    assert not result.ok and result.first_bad_index == 12
    assert [p.code for p in result.problems] == [ProblemCode.BAD_SIGNATURE]


def test_bisect_mode_proves_the_entries_but_can_miss_an_isolated_damaged_head(rows, log_key):
    # Documented limitation: the latest head proves every entry, so O(log n) checks stop there.
    tampered = list(rows)
    tampered[12] = dataclasses.replace(tampered[12], signature=bytes(64))
    result = check(tampered, log_key, check_every_head=False)
    assert result.ok and result.signatures_checked == 1


def test_bisect_mode_reports_a_genuinely_bad_index_even_with_damaged_heads(rows, log_key):
    tampered = edit(list(rows), 20)
    tampered[9] = dataclasses.replace(tampered[9], signature=bytes(64))
    result = check(tampered, log_key, check_every_head=False)
    assert not result.ok and result.first_bad_index in {9, 20}
    exact = check(tampered, log_key)
    assert exact.first_bad_index == 9
    assert {p.code for p in exact.problems} == {ProblemCode.BAD_SIGNATURE, ProblemCode.ENTRY_MISMATCH}


def test_bisect_mode_checks_logarithmically_many_signatures(build_log, log_key):
    _, store = build_log(600)
    rows = list(store.get_entries(0, 600))
    result = check(edit(list(rows), 433), log_key, check_every_head=False)
    assert result.first_bad_index == 433
    assert result.signatures_checked <= 2 + 10  # latest head + ceil(log2(600))
    assert check(rows, log_key).signatures_checked == 600


def test_repeated_problems_are_summarised(rows, log_key):
    result = check(unsign_tail(list(rows), 30), log_key)
    assert len(result.problems) == 1
    assert "6 more" in result.problems[0].message


@MODES
def test_truncation_is_found_only_against_a_saved_head(rows, log_key, every):
    saved = rows[-1].head
    short = rows[:20]
    assert check(short, log_key, check_every_head=every).ok
    result = check(short, log_key, since=saved, check_every_head=every)
    assert not result.ok and result.first_bad_index == 20
    assert [p.code for p in result.problems] == [ProblemCode.TRUNCATED]


@MODES
def test_a_saved_earlier_head_is_consistent(rows, log_key, every):
    result = check(rows, log_key, since=rows[10].head, check_every_head=every)
    assert result.ok


@MODES
def test_a_saved_empty_head_is_consistent(rows, log_key, every):
    empty = TransparencyLog(MemoryLogStore(), log_key, clock_ms=lambda: 1).signed_tree_head()
    assert check(rows, log_key, since=empty, check_every_head=every).ok


@MODES
def test_a_prefix_rewritten_together_with_its_heads_is_inconsistent_with_the_saved_head(build_log, log_key, every):
    # The log key itself signed two different histories (a fork, or a stolen key): every stored
    # head verifies, only the saved head shows it.
    _, store = build_log(N)
    saved = store.get_entries(9, 10)[0].head
    fork = TransparencyLog(MemoryLogStore(), log_key, clock_ms=StepClock())
    for i in range(N):
        fork.append(make_event(i + 1))
    rows = list(fork.entries(0, N))
    result = check(rows, log_key, since=saved, check_every_head=every)
    assert not result.ok and result.first_bad_index is None
    assert [p.code for p in result.problems] == [ProblemCode.INCONSISTENT_WITH_SAVED_HEAD]


@MODES
def test_a_saved_head_from_another_key_is_reported(rows, log_key, other_key, every):
    foreign = TransparencyLog(MemoryLogStore(), other_key, clock_ms=lambda: 1)
    foreign.append_leaf(b"x")
    result = check(rows, log_key, since=foreign.signed_tree_head(), check_every_head=every)
    assert not result.ok
    assert [p.code for p in result.problems] == [ProblemCode.BAD_SAVED_HEAD]


@MODES
def test_the_wrong_public_key_fails_at_the_first_entry(rows, other_key, every):
    result = check(rows, other_key, check_every_head=every)
    assert not result.ok and result.first_bad_index == 0


def test_missing_heads_leave_entries_unattested(rows, log_key):
    result = verify_log([r.data for r in rows], rows[:30], log_key.public_key())
    assert not result.ok and result.first_bad_index == 30
    assert result.problems[-1].code is ProblemCode.MISSING_HEAD


# --- the store as a whole: forged node hashes --------------------------------------------------


@MODES
def test_verify_store_accepts_an_intact_store(build_log, log_key, every):
    _, store = build_log(N)
    result = verify_store(store, log_key.public_key(), check_every_head=every, batch_size=8)
    assert result.ok and result.tree_size == N


@pytest.mark.parametrize("level, index", [(0, 5), (2, 4), (5, 0), (0, N - 1)])
def test_verify_store_finds_forged_node_hashes(build_log, log_key, level, index):
    log, store = build_log(N)
    genuine = store.nodes.get(level, index)
    store.nodes.set(level, index, bytes(32))
    # Entries and heads are intact, so the entry audit alone cannot see it...
    rows = list(store.get_entries(0, N))
    assert check(rows, log_key).ok
    # ...but some proof served from the forged node (where it is a sibling) no longer verifies...
    root = rows[-1].root_hash
    assert any(
        not verify_inclusion(leaf_hash(rows[t].data), t, N, log.inclusion_proof(t).path, root) for t in range(N)
    )
    leaf = index << level
    # ...and the store audit pins it to the first entry under the node.
    result = verify_store(store, log_key.public_key(), batch_size=8)
    assert not result.ok and result.first_bad_index == leaf
    assert [p.code for p in result.problems] == [ProblemCode.NODE_MISMATCH]
    store.nodes.set(level, index, genuine)
    assert verify_store(store, log_key.public_key()).ok


def test_a_forged_right_edge_node_poisons_later_heads_and_is_caught(build_log, log_key):
    log, store = build_log(20)
    store.nodes.set(2, 4, bytes(32))  # leaves 16..19, on the right edge at size 20
    for i in range(20, 26):
        log.append(make_event(i))
    rows = list(store.get_entries(0, 26))
    entry_audit = check(rows, log_key)
    assert not entry_audit.ok and entry_audit.first_bad_index == 20  # first head signed over the forgery
    store_audit = verify_store(store, log_key.public_key())
    assert store_audit.first_bad_index == 16
    assert {p.code for p in store_audit.problems} == {ProblemCode.NODE_MISMATCH, ProblemCode.ENTRY_MISMATCH}
