"""A real store for HTTP and concurrency tests: committed transactions on their own connections.

The default fixtures run each test inside one rolled-back transaction on one connection. That is
fast, but every unit of work then shares that connection, so a handler that opens a second
transaction while a first one holds SQLite's write lock cannot deadlock, and concurrent requests
never race (DESIGN.md: SQLite is the default store). Tests that are about transactions use
these fixtures instead: a file SQLite database and a PostgreSQL database per xdist worker, real
pooled connections, and every table emptied after each test.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civicid.db import make_engine, make_session_factory
from civicid.migrate import upgrade
from civicid.schema import metadata
from tests.conftest import fresh_postgres_database


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def real_engine(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'civicid.db'}"
    else:
        url = fresh_postgres_database("real")
    engine = make_engine(url, pool_size=30, max_overflow=10) if request.param == "postgresql" else make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def real_sessions(real_engine):
    """Sessions on their own pooled connections; what they commit stays until the test ends."""
    yield make_session_factory(real_engine)
    empty_all_tables(real_engine)


def empty_all_tables(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
