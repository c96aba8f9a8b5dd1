"""Events wait in the outbox until sequenced: right after the commit (inline, the CLI) or by the
server's background sequencer within its merge delay."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from civicid.audit.db_verify import verify_stored_log
from civicid.audit.events import EventTag
from civicid.audit.sequencer import LogSequencer
from civicid.clock import FixedClock
from civicid.db import make_session_factory
from civicid.runtime import build_runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider

CLOCK = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
TABLES = ("audit_nodes", "audit_entries", "audit_pending")


@pytest.fixture
def runtime(db_engine, tmp_path):
    def clear():
        with db_engine.begin() as conn:
            for table in TABLES:
                conn.execute(sa.text(f"DELETE FROM {table}"))

    clear()
    yield build_runtime(Settings(home=tmp_path, environment="test"), sessions=make_session_factory(db_engine),
                        keys=FakeKeyProvider(), clock=CLOCK)
    clear()


def _record(runtime, citizen_id: str) -> None:
    with runtime.transaction() as session:
        runtime.access_log(session).record(EventTag.CITIZEN_SELF_EXPORT, actor="citizen", citizen_id=citizen_id)


def _counts(runtime) -> tuple[int, int]:
    with runtime.transaction() as session:
        return (session.scalar(sa.text("SELECT count(*) FROM audit_pending")),
                session.scalar(sa.text("SELECT count(*) FROM audit_entries")))


def _wait_for(runtime, counts: tuple[int, int], *, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while _counts(runtime) != counts and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _counts(runtime) == counts


def test_inline_sequencing_puts_the_event_in_the_tree_at_commit(runtime):
    _record(runtime, "c1")
    assert _counts(runtime) == (0, 1)


def test_the_background_sequencer_moves_events_within_its_interval_and_drains_on_stop(runtime):
    runtime.log_sequencing = "background"
    _record(runtime, "c1")
    assert _counts(runtime) == (1, 0)  # recorded with the action, not yet in the tree
    with runtime.transaction() as session:
        assert runtime.access_log(session).outbox() == (1, int(CLOCK.now().timestamp() * 1000))

    sequencer = LogSequencer(runtime, interval_s=0.02, sweep_s=60)  # no sweep: the commit triggers the pass
    sequencer.start()
    try:
        _wait_for(runtime, (0, 1))
    finally:
        _record(runtime, "c2")
        sequencer.stop()
    assert _counts(runtime) == (0, 2)  # the last pass at shutdown took the late event
    with runtime.transaction() as session:
        assert verify_stored_log(session, runtime.keys, CLOCK).ok
        assert runtime.access_log(session).outbox() == (0, None)


def test_a_failing_pass_does_not_end_the_sequencer(runtime, monkeypatch, caplog):
    runtime.log_sequencing = "background"
    real, calls = runtime.sequence_log, []

    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("SELECT", {}, Exception("the database went away"))
        return real()

    monkeypatch.setattr(runtime, "sequence_log", flaky)
    _record(runtime, "c1")
    sequencer = LogSequencer(runtime, interval_s=0.02, sweep_s=0.05)  # after a failure, the sweep retries
    sequencer.start()
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    sequencer.stop()
    assert _counts(runtime) == (0, 1)
    assert "Sequencing the transparency log failed" in caplog.text


def test_a_pass_that_found_the_tail_taken_tries_again_without_waiting_for_the_sweep(runtime, db_engine):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; the tail lock is PostgreSQL's")
    from civicid.audit.sql_store import TAIL_LOCK_KEY

    runtime.log_sequencing = "background"
    sequencer = LogSequencer(runtime, interval_s=0.02, sweep_s=60)
    sequencer.start()
    try:
        with db_engine.connect() as other:  # another process's sequencer, holding the tail
            other.execute(sa.select(sa.func.pg_advisory_lock(TAIL_LOCK_KEY)))
            _record(runtime, "c1")
            time.sleep(0.2)
            assert _counts(runtime) == (1, 0)
            other.execute(sa.select(sa.func.pg_advisory_unlock(TAIL_LOCK_KEY)))
        _wait_for(runtime, (0, 1), seconds=5)
    finally:
        sequencer.stop()
