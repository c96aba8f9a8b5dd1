"""Migration 0006 keeps every attempt that counted, so an upgrade does not reset anyone's limits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from civicid.clock import FixedClock
from civicid.db import UTCDateTime, make_engine, make_session_factory
from civicid.enrolment.errors import Locked
from civicid.enrolment.limits import AttemptLimiter
from civicid.enrolment.models import Attempt
from civicid.migrate import upgrade
from tests.conftest import fresh_postgres_database

AT = datetime(2026, 11, 2, 10, 0, 0, 123456, tzinfo=timezone.utc)
KEY = b"k" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}" if request.param == "sqlite" else fresh_postgres_database("migration")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_counted_attempts_survive_the_upgrade_and_still_lock(engine):
    upgrade(engine, "0005")
    limiter = AttemptLimiter(None, FixedClock(AT), key=KEY)
    enrol_key, official_key = limiter.key_for("enrol_id", "110105199003070050"), limiter.key_for("official_read", "s1")
    old = sa.table("attempts", sa.column("scope"), sa.column("key"), sa.column("failed"),
                   sa.column("at", UTCDateTime()))
    rows = ([{"scope": "enrol_id", "key": enrol_key, "failed": True, "at": AT + timedelta(seconds=i)} for i in range(5)]
            + [{"scope": "enrol_id", "key": enrol_key, "failed": False, "at": AT}]  # a success: never counted
            + [{"scope": "official_read", "key": official_key, "failed": False, "at": AT}])  # reads count
    with engine.begin() as connection:
        connection.execute(old.insert(), rows)

    upgrade(engine, "0006")
    with engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT scope, count(*) FROM attempts GROUP BY scope ORDER BY scope")).all()
        keys = connection.execute(sa.text("SELECT count(*) FROM attempt_keys")).scalar()
    assert [tuple(row) for row in kept] == [("enrol_id", 5), ("official_read", 1)] and keys == 2

    sessions = make_session_factory(engine)
    clock = FixedClock(AT + timedelta(hours=2))
    with sessions() as session, session.begin():
        with pytest.raises(Locked) as locked:
            AttemptLimiter(session, clock, key=KEY).hit("enrol_id", "110105199003070050", limit=5,
                                                         window=timedelta(days=1))
    assert locked.value.detail["retry_after_s"] == 22 * 3600  # the first of the five leaves the window then
    with sessions() as session:
        expires = sorted(session.scalars(sa.select(Attempt.expires_at).where(Attempt.scope == "enrol_id")).all())
    assert expires[0] == AT + timedelta(days=1)  # microseconds kept on SQLite too
