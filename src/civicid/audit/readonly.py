"""Opening a database copy for verification without writing a byte to it.

An auditor's forensic copy may sit on read-only media, be a hot standby, or simply must not change
while it is examined. So ``civicid audit verify`` runs no migrations and takes no write lock:

* SQLite is opened with ``mode=ro`` (a URI filename), in one deferred read transaction, without
  the journal-mode pragma the service sets. A WAL-mode file whose ``-shm`` cannot be created
  (read-only directory) is opened ``immutable=1``, but only when no ``-wal`` file holds
  uncheckpointed pages that this would silently skip.
* PostgreSQL runs in one ``REPEATABLE READ, READ ONLY`` transaction (one snapshot of the whole log;
  accepted by a hot standby).

The schema must be the one this CivicID reads (the Alembic head); a copy at another revision is a
typed error, not a confusing SQL failure.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from civicid.audit.errors import DatabaseUnreadable, SchemaMismatch
from civicid.migrate import alembic_config


def readonly_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed.database or "")
    return sa.create_engine(url, poolclass=NullPool).execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True)


def _sqlite_engine(database: str) -> Engine:
    path = Path(database)
    if not database or database == ":memory:" or not path.is_file():
        raise DatabaseUnreadable(f"There is no SQLite database at {database!r}.")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        _probe(uri)
    except sqlite3.Error:
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise DatabaseUnreadable(
                f"{path} cannot be read without writing its -shm file, and {wal} holds changes that an "
                "immutable read would skip. Checkpoint a writable copy first (sqlite3 FILE 'PRAGMA "
                "wal_checkpoint(TRUNCATE)').") from None
        uri = f"file:{quote(str(path.resolve()))}?immutable=1"
        try:
            _probe(uri)
        except sqlite3.Error as error:
            raise DatabaseUnreadable(f"{path} cannot be read: {error}.") from None
    engine = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
                              poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")  # deferred: a read snapshot, no write lock

    return engine


def _probe(uri: str) -> None:
    connection = sqlite3.connect(uri, uri=True)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        connection.close()


def require_current_schema(connection: sa.Connection) -> None:
    """Raise ``audit.schema_mismatch`` unless the database is at this CivicID's Alembic head."""
    heads = set(ScriptDirectory.from_config(alembic_config(connection.engine)).get_heads())
    try:
        found = {row[0] for row in connection.execute(sa.text("SELECT version_num FROM alembic_version"))}
    except sa.exc.DBAPIError:
        found = set()
    if found != heads:
        raise SchemaMismatch(
            f"The database is at revision {', '.join(sorted(found)) or 'none'}; this CivicID reads "
            f"{', '.join(sorted(heads))}. Verify with the CivicID version that wrote it, or upgrade a writable copy.",
            found=sorted(found), expected=sorted(heads))
