"""civicid.db.HotStatement gives what a session's execute gives: rows by column name, datetimes in
UTC, row counts, RETURNING, statement defaults, and SQLAlchemy's error types, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from civicid.db import HotStatement, make_engine, make_session_factory
from civicid.identity.sessions import CitizenSession
from civicid.migrate import upgrade
from tests.conftest import fresh_postgres_database

_table = CitizenSession.__table__
INSERT = HotStatement(_table.insert())
BY_HASH = HotStatement(sa.select(_table).where(_table.c.token_hash == sa.bindparam("h")))
FIRST_OF = HotStatement(sa.select(_table.c.token_hash).where(_table.c.citizen_id == sa.bindparam("c"))
                        .order_by(_table.c.token_hash).limit(1))
OF_CITIZEN = HotStatement(sa.select(_table.c.token_hash).where(_table.c.citizen_id == sa.bindparam("c")))
EXPIRE = HotStatement(_table.update().where(_table.c.citizen_id == sa.bindparam("c"))
                      .values(expires_at=sa.bindparam("at")).returning(_table.c.token_hash))
EVENING_IN_UTC_PLUS_8 = datetime(2026, 11, 24, 20, 0, tzinfo=timezone(timedelta(hours=8)))


def _row(token_hash: str, citizen_id: str = "c1") -> dict:
    return {"token_hash": token_hash, "citizen_id": citizen_id, "amr": "hwk,user", "acr": "urn:x",
            "auth_time": EVENING_IN_UTC_PLUS_8, "expires_at": EVENING_IN_UTC_PLUS_8 + timedelta(hours=8)}


def test_rows_come_back_by_column_name_with_datetimes_in_utc(db_session):
    if db_session.get_bind().dialect.name == "postgresql":  # psycopg answers in the session's zone
        db_session.execute(sa.text("SET LOCAL TIME ZONE 'Asia/Shanghai'"))
    assert INSERT.run(db_session, _row("a")).rowcount == 1
    row = BY_HASH.run(db_session, {"h": "a"}).one_or_none()
    assert (row.citizen_id, row.amr, row.acr) == ("c1", "hwk,user", "urn:x")
    assert row.auth_time == EVENING_IN_UTC_PLUS_8 and row.auth_time.utcoffset() == timedelta(0)
    assert BY_HASH.run(db_session, {"h": "missing"}).one_or_none() is None


def test_counts_returning_and_the_statements_own_values(db_session):
    for token_hash in ("b", "a"):
        INSERT.run(db_session, _row(token_hash))
    INSERT.run(db_session, _row("z", citizen_id="c2"))
    assert FIRST_OF.run(db_session, {"c": "c1"}).scalar() == "a"  # LIMIT 1 is the statement's own value
    with pytest.raises(sa.exc.MultipleResultsFound):
        OF_CITIZEN.run(db_session, {"c": "c1"}).one_or_none()
    expired = EXPIRE.run(db_session, {"c": "c1", "at": EVENING_IN_UTC_PLUS_8})
    assert expired.rowcount == 2 and sorted(row.token_hash for row in expired.rows) == ["a", "b"]
    assert EXPIRE.run(db_session, {"c": "nobody", "at": EVENING_IN_UTC_PLUS_8}).rowcount == 0


def test_run_many_inserts_every_row_and_nothing_for_none(db_session):
    INSERT.run_many(db_session, [])  # SQLAlchemy alone would insert one row of NULLs
    INSERT.run_many(db_session, [_row(token_hash) for token_hash in ("a", "b", "c")])
    assert sorted(row.token_hash for row in OF_CITIZEN.run(db_session, {"c": "c1"}).rows) == ["a", "b", "c"]


@pytest.mark.parametrize("insert", [lambda s, row: INSERT.run(s, row), lambda s, row: INSERT.run_many(s, [row])],
                         ids=["run", "run_many"])
def test_a_duplicate_key_raises_sqlalchemys_integrity_error(db_session, insert):
    INSERT.run(db_session, _row("a"))
    with pytest.raises(sa.exc.IntegrityError):
        insert(db_session, _row("a"))


@pytest.fixture(scope="module")
def postgres_engine():
    engine = make_engine(fresh_postgres_database("hot"))
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_connection_found_dead_is_invalidated_and_the_next_unit_gets_a_new_one(postgres_engine):
    sessions = make_session_factory(postgres_engine)
    with sessions() as session:
        pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        session.commit()
    admin = sa.create_engine(postgres_engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()
    with sessions() as session, pytest.raises(sa.exc.DBAPIError) as failure:
        BY_HASH.run(session, {"h": "a"})  # the pooled connection, reused at once: not pinged
    assert failure.value.connection_invalidated
    with sessions() as session:
        assert BY_HASH.run(session, {"h": "a"}).one_or_none() is None
        assert session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != pid
