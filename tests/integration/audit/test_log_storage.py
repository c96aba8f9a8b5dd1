"""The transparency log in the database: tampering through raw SQL is found and pinned to an index."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from civicid.audit.db_verify import verify_stored_log
from civicid.audit.events import EventTag, LogEvent
from civicid.audit.service import AccessLog
from civicid.clock import FixedClock
from civicid.vault.fakes import FakeKeyProvider
from tests.unit.audit import rfc9162_reference as rfc

CLOCK = FixedClock(datetime(2026, 11, 3, 12, 0, tzinfo=timezone.utc))
SIZE, K = 12, 5


@pytest.fixture
def keys():
    return FakeKeyProvider()


@pytest.fixture
def filled(db_session, keys):
    log = AccessLog(db_session, keys, CLOCK)
    for i in range(SIZE):
        log.record(EventTag.PARTNER_CITIZEN_VERIFY, actor=f"partner:p{i % 3}", citizen_id=f"c{i % 4}",
                   purpose=f"check {i}")
    assert [log.sequence(limit=5) for _ in range(4)] == [5, 5, 2, 0]  # batches, as the server's sequencer
    return db_session


def _verify(session, keys, **kwargs):
    return verify_stored_log(session, keys, CLOCK, **kwargs)


def test_untouched_log_verifies_and_proofs_check_with_the_rfc_reference(filled, keys):
    assert _verify(filled, keys).ok
    head, items, pending = AccessLog(filled, keys, CLOCK).history("c1")
    assert pending == []
    leaves = [row[0] for row in filled.execute(sa.text("SELECT data FROM audit_entries ORDER BY idx"))]
    assert rfc.mth([bytes(leaf) for leaf in leaves]) == head.root_hash
    assert [item.index for item in items] == [1, 5, 9]
    for item in items:
        assert rfc.verify_inclusion(item.leaf_hash, item.index, head.tree_size, list(item.proof.path), head.root_hash)


def _edit(session):
    session.execute(sa.text("UPDATE audit_entries SET data = :d WHERE idx = :k"),
                    {"d": b'{"forged":true}', "k": K})


def _delete(session):
    session.execute(sa.text("DELETE FROM audit_entries WHERE idx = :k"), {"k": K})


def _insert(session):
    # shift K.. up by one (through negative indices, to dodge the primary key) and insert a forged
    # event at K, reusing the head stored beside the entry it displaced (the forger has no key)
    session.execute(sa.text("UPDATE audit_entries SET idx = -idx - 1 WHERE idx >= :k"), {"k": K})
    session.execute(sa.text("UPDATE audit_entries SET idx = -idx WHERE idx < 0"))
    row = session.execute(sa.text("SELECT data, timestamp_ms, root_hash, signature "
                                  "FROM audit_entries WHERE idx = :k"), {"k": K + 1}).one()
    session.execute(sa.text("INSERT INTO audit_entries (idx, data, timestamp_ms, root_hash, signature) "
                            "VALUES (:k, :data, :ts, :root, :sig)"),
                    {"k": K, "data": _forged_event(), "ts": row.timestamp_ms, "root": row.root_hash, "sig": row.signature})


def _forged_event() -> bytes:
    return LogEvent(tag=EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p0", citizen_ref="c1",
                    purpose="never happened", occurred_at=CLOCK.now()).to_bytes()


def _reorder(session):
    rows = {r.idx: r.data for r in session.execute(sa.text("SELECT idx, data FROM audit_entries WHERE idx IN (:a, :b)"),
                                                   {"a": K, "b": K + 2})}
    for index, other in ((K, K + 2), (K + 2, K)):
        session.execute(sa.text("UPDATE audit_entries SET data = :d WHERE idx = :k"), {"d": rows[other], "k": index})


@pytest.mark.parametrize("tamper", [_edit, _delete, _insert, _reorder], ids=["edit", "delete", "insert", "reorder"])
def test_tampering_is_pinned_to_the_first_bad_index(filled, keys, tamper):
    tamper(filled)
    result = _verify(filled, keys)
    assert not result.ok
    assert result.first_bad_index == K


def test_truncation_is_caught_by_a_saved_tree_head(filled, keys):
    saved = AccessLog(filled, keys, CLOCK).log.signed_tree_head()
    filled.execute(sa.text("DELETE FROM audit_entries WHERE idx >= :k"), {"k": K})
    assert _verify(filled, keys).ok  # what is left is a valid, shorter log ...
    result = _verify(filled, keys, since=saved)
    assert not result.ok  # ... but not the one whose head was saved
    assert "audit.truncated" in {p.code.value for p in result.problems}


def test_a_forged_head_without_the_log_key_is_caught(filled, keys):
    forged = base64.b64decode(base64.b64encode(b"\x00" * 64))
    filled.execute(sa.text("UPDATE audit_entries SET signature = :s WHERE idx = :k"), {"s": forged, "k": K})
    result = _verify(filled, keys)
    assert not result.ok and result.first_bad_index == K


def test_event_rolls_back_with_the_action(session_factory, keys):
    with pytest.raises(RuntimeError):
        with session_factory() as session, session.begin():
            AccessLog(session, keys, CLOCK).record(EventTag.CITIZEN_SELF_EXPORT, actor="citizen", citizen_id="c9")
            raise RuntimeError("the action failed")
    with session_factory() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM audit_pending")) == 0
        assert AccessLog(session, keys, CLOCK).sequence() == 0
        assert session.scalar(sa.text("SELECT count(*) FROM audit_entries")) == 0


def test_a_recorded_event_waits_in_the_outbox_and_shows_as_pending(db_session, keys):
    log = AccessLog(db_session, keys, CLOCK)
    log.record(EventTag.CITIZEN_SELF_EXPORT, actor="citizen", citizen_id="c7", purpose="export")
    head, items, pending = log.history("c7")
    assert head.tree_size == 0 and items == []
    assert [(event.tag, event.purpose) for event in pending] == [(EventTag.CITIZEN_SELF_EXPORT, "export")]
    assert log.sequence() == 1
    head, items, pending = log.history("c7")
    assert head.tree_size == 1 and [item.event.purpose for item in items] == ["export"] and pending == []


def test_a_forged_subtree_hash_is_caught(filled, keys):
    filled.execute(sa.text("UPDATE audit_nodes SET hash = :h WHERE level = 1 AND idx = 0"), {"h": b"\x01" * 32})
    result = _verify(filled, keys)
    assert not result.ok
    assert "audit.node_mismatch" in {p.code.value for p in result.problems}


def test_concurrent_writers_and_sequencers_never_fork_the_log(db_engine, keys):
    """Real concurrent transactions (not the rolled-back test one): four threads record events and
    sequence after each commit, as the CLI does, while a fifth sequences in a loop, as the server
    does. Every event lands exactly once and the log verifies."""
    import threading

    from sqlalchemy.orm import Session

    def clear():
        with db_engine.begin() as conn:
            for table in ("audit_nodes", "audit_entries", "audit_pending"):
                conn.execute(sa.text(f"DELETE FROM {table}"))

    def sequence() -> int:
        with Session(db_engine) as session, session.begin():
            return AccessLog(session, keys, CLOCK).sequence(limit=7)

    clear()
    errors, writing = [], threading.Event()

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with Session(db_engine) as session, session.begin():
                    AccessLog(session, keys, CLOCK).record(EventTag.CITIZEN_SELF_EXPORT, actor="citizen",
                                                           citizen_id=f"w{n}-{i}")
                sequence()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    def background() -> None:
        try:
            while writing.is_set():
                sequence()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    writing.set()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    sequencer = threading.Thread(target=background)
    for thread in [*threads, sequencer]:
        thread.start()
    for thread in threads:
        thread.join()
    writing.clear()
    sequencer.join()
    try:
        assert errors == []
        while sequence():  # a writer's own attempt may have found the tail taken
            pass
        with Session(db_engine) as session:
            assert _verify(session, keys).ok
            refs = [LogEvent.from_bytes(bytes(data)).citizen_ref
                    for (data,) in session.execute(sa.text("SELECT data FROM audit_entries ORDER BY idx"))]
            assert sorted(refs) == sorted(f"w{n}-{i}" for n in range(4) for i in range(10))
            assert session.scalar(sa.text("SELECT count(*) FROM audit_pending")) == 0
    finally:
        clear()


@pytest.mark.parametrize("events", [1, 2, 3])
def test_each_single_event_run_is_stored_with_only_real_nodes(db_session, keys, events):
    """A run that completes no subtree writes no node row (an empty insert would write NULLs)."""
    log = AccessLog(db_session, keys, CLOCK)
    for i in range(events):
        log.record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1", citizen_id="c1", purpose=f"check {i}")
        assert log.sequence() == 1
    assert db_session.scalar(sa.text("SELECT count(*) FROM audit_nodes WHERE hash IS NULL")) == 0
    assert db_session.scalar(sa.text("SELECT count(*) FROM audit_entries")) == events
    assert _verify(db_session, keys).ok


def test_a_tile_is_one_range_read_and_equals_the_nodes_read_one_by_one(db_session):
    """read_tile takes a tile's hashes in one range scan (get_node_range), as a list of keys would
    give them; a missing node is CorruptStore either way."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from civicid.audit.errors import CorruptStore
    from civicid.audit.sql_store import SqlLogStore
    from civicid.audit.tiles import TileRef, read_tile
    from civicid.audit.tree import TransparencyLog

    at = datetime(2026, 11, 30, tzinfo=timezone.utc)

    class KeysOnly:  # a store without the range read: read_tile falls back to get_nodes
        def __init__(self, store):
            self.get_nodes = store.get_nodes

    store = SqlLogStore(db_session)
    log = TransparencyLog(store, Ed25519PrivateKey.from_private_bytes(bytes(32)), clock_ms=lambda: 1_700_000_000_000)
    log.append_leaves([LogEvent(EventTag.CITIZEN_SELF_EXPORT, "citizen", f"c{i}", "", at).to_bytes()
                       for i in range(300)])
    for ref in (TileRef(0, 0), TileRef(0, 1, 44), TileRef(1, 0, 1)):
        assert read_tile(store, ref, tree_size=300) == read_tile(KeysOnly(store), ref, tree_size=300)
    assert len(read_tile(store, TileRef(0, 0), tree_size=300)) == 256 * 32
    db_session.execute(sa.text("DELETE FROM audit_nodes WHERE level = 0 AND idx = 7"))
    for reader in (store, KeysOnly(store)):
        with pytest.raises(CorruptStore, match=r"\(0, 7\)"):
            read_tile(reader, TileRef(0, 0), tree_size=300)
