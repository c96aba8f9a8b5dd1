"""Mutation-style: for every column of every audit table, an insider's ``UPDATE`` of one row is
caught by ``audit verify`` and by the citizen's history, refused by the database, or provably
changes nothing anyone reads. The column list comes from the live schema, so a new column
without a case here fails the coverage test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from civicid.audit.db_verify import verify_stored_log
from civicid.audit.errors import AuditError
from civicid.audit.events import EventTag, LogEvent
from civicid.audit.service import AccessLog
from civicid.audit.signing import rotate_log_key
from civicid.clock import FixedClock
from civicid.vault.fakes import FakeKeyProvider

CLOCK = FixedClock(datetime(2026, 11, 3, 12, 0, tzinfo=timezone.utc))
SIZE = 12  # citizens c0..c3 at i % 4: the victim c3 holds entries 3, 7 and 11 (the last one)
ROTATED_AT = 8  # the log key is rotated after 8 entries: entries 8..11 carry heads of key 2
VICTIM = "c3"


@pytest.fixture
def keys():
    return FakeKeyProvider()


def _event(citizen: str, purpose: str) -> bytes:
    return LogEvent(tag=EventTag.OFFICIAL_CITIZEN_READ, actor="official:o1", citizen_ref=citizen, purpose=purpose,
                    occurred_at=CLOCK.now()).to_bytes()


@pytest.fixture
def filled(db_session, keys):
    log = AccessLog(db_session, keys, CLOCK)
    for i in range(SIZE):
        log.record(EventTag.OFFICIAL_CITIZEN_READ, actor=f"official:o{i % 3}", citizen_id=f"c{i % 4}",
                   purpose=f"case {i}: court order")
        if i + 1 == ROTATED_AT:
            assert log.sequence() == ROTATED_AT
            assert rotate_log_key(db_session, keys).first_size == ROTATED_AT + 1
    assert log.sequence() == SIZE - ROTATED_AT
    for i in range(2):  # two events of the victim still wait for the sequencer
        log.record(EventTag.CITIZEN_SELF_EXPORT, actor="citizen", citizen_id=VICTIM, purpose=f"export {i}")
    assert verify_stored_log(db_session, keys, CLOCK).ok
    head, items, pending = AccessLog(db_session, keys, CLOCK).history(VICTIM)
    assert [item.index for item in items] == [3, 7, 11] and len(pending) == 2
    return db_session


@dataclass(frozen=True)
class Mutation:
    table: str
    column: str
    sql: str
    codes: frozenset[str] = field(default_factory=frozenset)  # what `audit verify` must report

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


def _other_public_key() -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from civicid.audit.log_keys import raw_public_key

    return raw_public_key(Ed25519PrivateKey.from_private_bytes(b"\x09" * 32).public_key())


PARAMS = {"forged": _event(VICTIM, "case 7: never happened"), "hash": b"\x07" * 32, "sig": b"\x07" * 64,
          "forged_pending": _event(VICTIM, "never happened"), "public_key": _other_public_key()}
KEY_CHAIN = frozenset({"audit.bad_key_chain", "audit.bad_signature"})
FIRST_PENDING = "(SELECT min(id) FROM audit_pending)"

DETECTED = [
    Mutation("audit_entries", "idx", "UPDATE audit_entries SET idx = 40 WHERE idx = 11",
             frozenset({"audit.missing_entry"})),
    Mutation("audit_entries", "data", "UPDATE audit_entries SET data = :forged WHERE idx = 7",
             frozenset({"audit.entry_mismatch"})),
    Mutation("audit_entries", "timestamp_ms", "UPDATE audit_entries SET timestamp_ms = timestamp_ms + 1 WHERE idx = 11",
             frozenset({"audit.bad_signature"})),
    Mutation("audit_entries", "root_hash", "UPDATE audit_entries SET root_hash = :hash WHERE idx = 11",
             frozenset({"audit.bad_signature"})),
    Mutation("audit_entries", "signature", "UPDATE audit_entries SET signature = :sig WHERE idx = 11",
             frozenset({"audit.bad_signature"})),
    # node (0, 6) is the sibling of the victim's entry 7 in every inclusion proof of it
    Mutation("audit_nodes", "level", "UPDATE audit_nodes SET level = 9 WHERE level = 0 AND idx = 6",
             frozenset({"audit.node_mismatch"})),
    Mutation("audit_nodes", "idx", "UPDATE audit_nodes SET idx = 99 WHERE level = 0 AND idx = 6",
             frozenset({"audit.node_mismatch"})),
    Mutation("audit_nodes", "hash", "UPDATE audit_nodes SET hash = :hash WHERE level = 0 AND idx = 6",
             frozenset({"audit.node_mismatch"})),
    Mutation("audit_pending", "data", f"UPDATE audit_pending SET data = :forged_pending WHERE id = {FIRST_PENDING}",
             frozenset({"audit.pending_forged"})),
    Mutation("audit_pending", "recorded_ms",
             f"UPDATE audit_pending SET recorded_ms = recorded_ms - 1 WHERE id = {FIRST_PENDING}",
             frozenset({"audit.pending_forged"})),
    Mutation("audit_pending", "mac", f"UPDATE audit_pending SET mac = :hash WHERE id = {FIRST_PENDING}",
             frozenset({"audit.pending_forged"})),
    Mutation("audit_log_keys", "serial", "UPDATE audit_log_keys SET serial = 3", KEY_CHAIN),
    Mutation("audit_log_keys", "public_key", "UPDATE audit_log_keys SET public_key = :public_key", KEY_CHAIN),
    Mutation("audit_log_keys", "first_size", "UPDATE audit_log_keys SET first_size = first_size + 1", KEY_CHAIN),
    Mutation("audit_log_keys", "endorsement", "UPDATE audit_log_keys SET endorsement = :sig", KEY_CHAIN),
]
# Columns the database derives from the signed leaf: an UPDATE is an error.
REFUSED = [
    Mutation("audit_entries", "citizen_ref", "UPDATE audit_entries SET citizen_ref = 'c0' WHERE idx = 7"),
    Mutation("audit_entries", "tag", "UPDATE audit_entries SET tag = 'citizen:self:read' WHERE idx = 7"),
    Mutation("audit_pending", "citizen_ref", f"UPDATE audit_pending SET citizen_ref = 'c0' WHERE id = {FIRST_PENDING}"),
]
# The outbox's queue position: it orders sequencing and nothing else reads it.
HARMLESS = [Mutation("audit_pending", "id", "UPDATE audit_pending SET id = id + 1000")]
# The kept witness-cosigned checkpoint is a signed note that every reader checks (the log's key,
# the witnesses' cosignatures); its origin and tree size are lookup columns the note repeats.
COSIGNED = [
    Mutation("audit_cosigned", "note", "UPDATE audit_cosigned SET note = replace(note, '\n12\n', '\n13\n')"),
    Mutation("audit_cosigned", "tree_size", "UPDATE audit_cosigned SET tree_size = 99"),
    Mutation("audit_cosigned", "origin", "UPDATE audit_cosigned SET origin = 'elsewhere.example/log'"),
]


def test_every_column_of_every_audit_table_has_a_mutation_case(filled):
    inspector = sa.inspect(filled.connection())
    tables = sorted(t for t in inspector.get_table_names() if t.startswith("audit_"))
    live = {(t, c["name"]) for t in tables for c in inspector.get_columns(t)}
    covered = {(m.table, m.column) for m in DETECTED + REFUSED + HARMLESS + COSIGNED}
    assert live == covered


@pytest.mark.parametrize("mutation", DETECTED, ids=str)
def test_a_changed_value_is_caught_by_audit_verify_and_by_the_history(filled, keys, mutation):
    assert filled.execute(sa.text(mutation.sql), PARAMS).rowcount >= 1
    result = verify_stored_log(filled, keys, CLOCK)
    assert not result.ok
    assert mutation.codes <= {p.code.value for p in result.problems}
    with pytest.raises(AuditError) as raised:
        AccessLog(filled, keys, CLOCK).history(VICTIM)
    assert raised.value.code in {"audit.tampered", "audit.corrupt_store"}
    assert raised.value.status == 500


@pytest.mark.parametrize("mutation", REFUSED, ids=str)
def test_a_derived_column_cannot_be_updated(filled, keys, mutation):
    with pytest.raises(sa.exc.DBAPIError):
        with filled.begin_nested():
            filled.execute(sa.text(mutation.sql))
    assert verify_stored_log(filled, keys, CLOCK).ok
    assert [item.index for item in AccessLog(filled, keys, CLOCK).history(VICTIM)[1]] == [3, 7, 11]


@pytest.mark.parametrize("mutation", HARMLESS, ids=str)
def test_renumbering_the_outbox_changes_nothing_anyone_reads(filled, keys, mutation):
    before = AccessLog(filled, keys, CLOCK).history(VICTIM)
    assert filled.execute(sa.text(mutation.sql)).rowcount == 2
    assert AccessLog(filled, keys, CLOCK).history(VICTIM) == before
    assert verify_stored_log(filled, keys, CLOCK).ok
    assert AccessLog(filled, keys, CLOCK).sequence() == 2
    head, items, pending = AccessLog(filled, keys, CLOCK).history(VICTIM)
    assert [item.event.purpose for item in items][-2:] == ["export 0", "export 1"] and pending == []
    assert verify_stored_log(filled, keys, CLOCK).ok


@pytest.mark.parametrize("mutation", COSIGNED, ids=str)
def test_a_changed_cosigned_checkpoint_fails_its_signatures_or_is_not_served(filled, keys, mutation):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from civicid.audit.checkpoint import open_checkpoint
    from civicid.audit.cosigned import NoCosignedCheckpoint, SqlCosignedStore, accept_cosigned, latest_cosigned
    from civicid.audit.errors import AuditError as Refused
    from civicid.audit.note import parse_verifier_key
    from civicid.audit.static_log import checkpoint_verifier_key, signed_checkpoint
    from civicid.audit.witness import witness_checkpoint

    origin, witness = "log.example/log", Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)
    _, log_key = parse_verifier_key(checkpoint_verifier_key(filled, keys, origin=origin))
    witnessed = witness_checkpoint(signed_checkpoint(filled, keys, origin=origin).dumps(), origin=origin,
                                   log_key=log_key, state=None, consistency_path=[], name="w.example/w",
                                   key=witness, timestamp=1_767_000_000)
    store = SqlCosignedStore(filled, origin)
    accept_cosigned(filled, keys, store, witnessed.note.dumps(), origin=origin,
                    witnesses=[("w.example/w", witness.public_key())])
    kept = latest_cosigned(store)
    filled.execute(sa.text(mutation.sql))
    try:
        served = latest_cosigned(store)
    except NoCosignedCheckpoint:  # moved to another origin: this log serves none (a 404, not a lie)
        assert mutation.column == "origin"
        return
    if mutation.column == "tree_size":  # read by nothing: the same note is served
        assert served == kept
        return
    with pytest.raises(Refused):  # a reader checks the log's signature and refuses the changed note
        open_checkpoint(served, origin=origin, public_key=log_key)
    assert verify_stored_log(filled, keys, CLOCK).ok  # the log itself is untouched


def test_a_forged_outbox_row_is_never_sequenced(filled, keys):
    filled.execute(sa.text(f"UPDATE audit_pending SET data = :forged_pending WHERE id = {FIRST_PENDING}"), PARAMS)
    assert AccessLog(filled, keys, CLOCK).sequence() == 1  # the genuine one
    rows = filled.execute(sa.text("SELECT data FROM audit_entries"))
    logged = [LogEvent.from_bytes(bytes(data)).purpose for (data,) in rows]
    assert "never happened" not in logged and "export 1" in logged
    result = verify_stored_log(filled, keys, CLOCK)
    assert [p.code.value for p in result.problems] == ["audit.pending_forged"]


def _make_plain(session, table: str, column: str) -> None:
    """What an insider with DDL rights does first: turn the derived column into a plain one."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"ALTER TABLE {table} ALTER COLUMN {column} DROP EXPRESSION"))
        return
    session.execute(sa.text(f"DROP INDEX ix_{table}_{column}"))
    session.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    session.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(128)"))
    session.execute(sa.text(f"UPDATE {table} SET {column} = json_extract(CAST(data AS TEXT), '$.{column}')"))


@pytest.mark.parametrize("column, value", [("citizen_ref", "c0"), ("tag", "citizen:self:read")])
def test_a_derived_column_made_plain_by_ddl_and_then_edited_is_still_caught(filled, keys, column, value):
    _make_plain(filled, "audit_entries", column)
    assert verify_stored_log(filled, keys, CLOCK).ok  # the values still agree with the leaves
    filled.execute(sa.text(f"UPDATE audit_entries SET {column} = :v WHERE idx = 7"), {"v": value})
    result = verify_stored_log(filled, keys, CLOCK)
    assert not result.ok and result.first_bad_index == 7
    assert [p.code.value for p in result.problems] == ["audit.column_mismatch"]
    if column == "citizen_ref":  # the entry now shows in c0's history: c0's history refuses it
        with pytest.raises(AuditError) as raised:
            AccessLog(filled, keys, CLOCK).history("c0")
        assert raised.value.code == "audit.tampered"


def test_the_history_endpoint_answers_a_tampered_log_with_a_typed_error(harness_factory):
    from civicid.identity.sessions import SignInSessions
    from tests.support.harness import make_citizen

    h = harness_factory()
    citizen = make_citizen(h, id_number="11010519900307005X", name="Li Ming")
    with h.runtime.transaction() as session:
        h.runtime.access_log(session).record(EventTag.CITIZEN_SELF_EXPORT, actor="citizen", citizen_id=citizen,
                                             purpose="export")
    with h.runtime.transaction() as session:
        token = SignInSessions(session, h.clock).create(citizen, amr=("hwk",), acr="urn:civicid:acr:face-liveness")
    auth = {"Authorization": f"Bearer {token}"}
    assert h.client.get("/api/v1/me/history", headers=auth).status_code == 200
    with h.runtime.transaction() as session:
        session.execute(sa.text("UPDATE audit_entries SET timestamp_ms = timestamp_ms + 1"))
    response = h.client.get("/api/v1/me/history", headers=auth)
    assert response.status_code == 500 and response.json()["error"]["code"] == "audit.tampered"
