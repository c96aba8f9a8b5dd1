"""Pooled PostgreSQL connections are pinged only after sitting idle (civicid.db.ping_after_idle)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from civicid.db import ping_after_idle
from tests.conftest import fresh_postgres_database


@pytest.fixture(scope="module")
def postgres_url() -> str:
    return fresh_postgres_database("ping")


def _engine(url: str, idle_s: float) -> sa.Engine:
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle_s=idle_s)
    return engine


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(postgres_url):
    engine = _engine(postgres_url, idle_s=0.05)
    first = _backend_pid(engine)
    _terminate(postgres_url, first)
    time.sleep(0.1)
    assert _backend_pid(engine) != first  # no error reached the caller
    engine.dispose()


def test_a_connection_reused_at_once_is_not_pinged_and_one_failure_renews_the_pool(postgres_url):
    engine = _engine(postgres_url, idle_s=60)
    first = _backend_pid(engine)
    _terminate(postgres_url, first)
    with pytest.raises(sa.exc.DBAPIError) as failure:
        _backend_pid(engine)
    assert failure.value.connection_invalidated
    assert _backend_pid(engine) != first
    engine.dispose()
