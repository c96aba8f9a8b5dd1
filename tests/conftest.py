"""Shared fixtures: where the real test data is, and how to behave when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA_HINT = (
    "the shared test data was not found at {path}. Put the CivicID shared folder beside this "
    "checkout (../shared/data) or point CIVICID_DATA at it."
)


def data_root() -> Path:
    return Path(os.environ.get("CIVICID_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")).resolve()


def require_data(*parts: str) -> Path:
    """Path to shared data; skips when missing, but fails under CI=true where data must exist."""
    path = data_root().joinpath(*parts)
    if not path.exists():
        message = DATA_HINT.format(path=path)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and " + message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return require_data("faces")


@pytest.fixture(scope="session")
def lfw_dir() -> Path:
    return require_data("lfw_view1")


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    return require_data("videos")


# --- databases: every database test runs on SQLite and on PostgreSQL -----------------------------

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/civicid_test"


def fresh_postgres_database(suffix: str) -> str:
    """The URL of a newly created, empty database of this xdist worker's own."""
    import sqlalchemy as sa

    base = sa.make_url(os.environ.get("CIVICID_TEST_POSTGRES_URL", POSTGRES_DEFAULT))
    name = f"{base.database}_{suffix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {base.render_as_string(hide_password=True)}: {exc.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_engine(request, tmp_path_factory):
    from civicid.db import make_engine
    from civicid.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'civicid.db'}"
    else:
        url = fresh_postgres_database("db")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_connection(db_engine):
    """A connection inside a transaction that is rolled back after the test."""
    connection = db_engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture
def session_factory(db_connection):
    """Sessions whose commits become savepoints of the test's outer transaction."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=db_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db_session(session_factory):
    with session_factory() as session:
        yield session


# --- the real face engine, loaded once per test session -----------------------------------------


@pytest.fixture(scope="session")
def shared_face_engine():
    from civicid.runtime import service_engine
    from civicid.settings import Settings
    from tests.support.faces import CachingEngine

    return CachingEngine(service_engine(Settings()))


@pytest.fixture
def harness_factory(session_factory, shared_face_engine, tmp_path):
    """Builds an HTTP test harness (app + runtime on the test database); see tests/support/harness.py."""
    from tests.support.harness import Harness

    def make(**kwargs):
        return Harness(session_factory, shared_face_engine, tmp_path, **kwargs)

    return make


def pytest_terminal_summary(terminalreporter):
    from tests.integration.fuzz.summary import write_summary

    write_summary(terminalreporter)
