"""The service's home and its SQLite files are private to the service's user."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicid.db import make_engine
from civicid.runtime import build_runtime
from civicid.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)  # files 0644 and folders 0755 unless the code asks for less
    yield
    os.umask(previous)


def test_a_new_home_and_database_are_private(tmp_path, usual_umask):
    home = tmp_path / "home"
    runtime = build_runtime(Settings(home=home, environment="test"))
    try:
        with runtime.transaction() as session:  # a write: the WAL and its shared-memory index exist
            session.execute(sa.text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
        files = {path.name: mode(path) for path in home.iterdir() if path.name.startswith("civicid.db")}
        assert {"civicid.db", "civicid.db-wal", "civicid.db-shm"} <= set(files)
        assert set(files.values()) == {0o600}, {name: oct(m) for name, m in files.items()}
        assert mode(home) == 0o700
    finally:
        runtime.engine.dispose()


def test_an_existing_open_home_and_database_are_tightened(tmp_path, usual_umask):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    for name in ("civicid.db", "civicid.db-wal"):  # empty files, as SQLite accepts them
        (home / name).touch(mode=0o644)
    settings = Settings(home=home, environment="test")
    settings.ensure_home()
    assert mode(home) == 0o700
    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
        for name in ("civicid.db", "civicid.db-wal", "civicid.db-shm"):
            assert mode(home / name) == 0o600, name
    finally:
        engine.dispose()


def test_opening_a_connection_keeps_the_locks_of_the_others(tmp_path):
    """POSIX drops every fcntl lock a process holds on a file when it closes any descriptor of
    that file ("How To Corrupt An SQLite Database File", §2.2). Making the files private opened
    and closed the database file for each new connection, dropping the shared lock the process's
    open connections hold; another process closing its last connection then took itself for the
    last user, checkpointed and deleted the WAL under the running service, and the service's next
    transaction found the database malformed (the e2e server, while a test added a registry person)."""
    import subprocess
    import sys

    database = tmp_path / "civicid.db"
    engine = make_engine(f"sqlite:///{database}", poolclass=sa.pool.QueuePool)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
        with engine.connect() as holder:  # the service's connection, open and idle
            holder.execute(sa.text("SELECT count(*) FROM probe"))
            holder.commit()
            newcomer = engine.raw_connection()  # a new pooled connection of the same process
            newcomer.close()
            subprocess.run([sys.executable, "-c", (  # another process writes, then closes
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                "c.execute('INSERT INTO probe VALUES (1)'); c.close()"), str(database)], check=True)
            assert (tmp_path / "civicid.db-wal").exists(), "the other process took itself for the last user"
            assert holder.execute(sa.text("SELECT count(*) FROM probe")).scalar() == 1
    finally:
        engine.dispose()
