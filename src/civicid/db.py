"""Engine and session factories. SQLite is the embedded default, PostgreSQL the production store.

Nothing here is global: the app and the CLI build an engine from settings and pass sessions down.
Only portable SQL is used, so the same schema runs on SQLite, PostgreSQL and PostgreSQL-compatible
distributed engines.
"""

from __future__ import annotations

import os
import time
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

#: a pooled connection idle for longer than this is pinged before use (see ``ping_after_idle``)
PING_AFTER_IDLE_S = 1.0

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite stores no zone; PostgreSQL timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def make_engine(url: str, **kwargs) -> Engine:
    # A failed statement's message (logged, and kept in tracebacks) names no parameter: they are
    # ID numbers, names, tokens.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        database = sa.make_url(url).database
        path = Path(database) if database and database != ":memory:" and not database.startswith("file:") else None
        if path is not None:
            private_sqlite_files(path)
        engine = sa.create_engine(url, **kwargs)

        # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN itself
        # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL"). IMMEDIATE
        # takes the write lock up front: two deferred transactions that both read and then write
        # deadlock, and SQLite answers one of them "database is locked" without waiting.
        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            if path is not None:  # created since make_engine (its folder was missing, or it was removed)
                private_sqlite_files(path)
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # SQLAlchemy's default of 5 pooled connections (plus 10 opened and closed again on demand) made
    # a worker with 8 requests in flight open a new PostgreSQL backend every few requests
    kwargs.setdefault("pool_size", 10)
    engine = sa.create_engine(url, **kwargs)
    ping_after_idle(engine, idle_s=PING_AFTER_IDLE_S)
    return engine


def private_sqlite_files(path: Path) -> None:
    """Make the SQLite database ``path`` readable by its owner only (0600), before SQLite opens it.

    SQLite creates a database file 0644 under the usual umask, and gives its ``-wal`` and ``-shm``
    files the database file's mode; so the file is created here, 0600, and those already there
    lose group and other access. Nothing is done while the folder is missing (SQLite then fails
    to open the database, an outage until the folder is back)."""
    if not path.parent.is_dir():
        return
    # Never open (and close) an existing database file: closing any descriptor of a file drops
    # every POSIX lock this process holds on it, the shared locks of its open SQLite connections
    # too, and another process then takes itself for the last user and deletes the WAL.
    if not path.exists():
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:  # created meanwhile by another connection or process
            pass
    for file in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        try:
            if os.stat(file).st_mode & 0o077:
                os.chmod(file, 0o600)
        except FileNotFoundError:
            continue


#: SQLite's errors that mean the database cannot be used for now, not a fault of the request
_SQLITE_OUTAGES = ("unable to open database file", "database is locked", "disk i/o error",
                   "database or disk is full", "readonly database")


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or unusable for now (answer 503 and
    retry later), rather than a fault of the request or of the code.

    PostgreSQL: any ``OperationalError`` or ``InterfaceError`` (refused or lost connection, server
    shutting down, statement timeout, deadlock) and any connection SQLAlchemy found dead; the
    pool's own timeout. SQLite: a missing, locked, failing or full database file."""
    if isinstance(error, (exc.TimeoutError, exc.DisconnectionError)):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, (exc.OperationalError, exc.InterfaceError)):
        return False
    if type(error.orig).__module__.split(".")[0] == "sqlite3":
        message = str(error.orig).lower()
        return any(text in message for text in _SQLITE_OUTAGES)
    return True


def ping_after_idle(engine: Engine, *, idle_s: float) -> None:
    """Ping a pooled connection before use only if it sat idle for more than ``idle_s``.

    ``pool_pre_ping`` pings on every checkout: one more round trip per request, about 8 % of the
    server's CPU in the OIDC bench. A connection that came back to the pool milliseconds ago is
    all but certainly alive; if the database restarted in between, that one request fails with a
    disconnect error, and SQLAlchemy then invalidates the whole pool, so the next requests
    reconnect ("Dealing with Disconnects", optimistic handling, in the SQLAlchemy docs).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since <= idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # the pool discards this connection and checks out (or opens) another
            raise exc.DisconnectionError(f"connection idle for {time.monotonic() - since:.0f} s is gone") from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


#: a result row read by column name: ``sa.Row``, or a named tuple from a ``HotStatement``
Row = Any


@dataclass(frozen=True, slots=True)
class HotResult:
    """What a ``HotStatement`` gave: all its rows, fetched, and the row count."""

    rows: Sequence[Row]
    rowcount: int

    def one_or_none(self) -> Row | None:
        if len(self.rows) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class HotStatement:
    """A Core statement that runs on every sign-in, executed on the DBAPI cursor under PostgreSQL.

    SQLAlchemy's work per execution (cache key, compiled-cache lookup, execution context, parameter
    and result processing) costs about as much CPU as psycopg's own (197 against 93 us per
    statement on a 2-core machine). Here the statement is compiled once per set of parameter names
    and run by psycopg as a prepared statement. Values go through psycopg's own adaptation, so
    parameters must be str, bytes, int, bool, None or aware datetimes; datetimes come back in UTC,
    as ``UTCDateTime`` gives them. DBAPI errors are raised as SQLAlchemy's (``IntegrityError``, ...),
    and a connection found dead is invalidated. Other databases run the statement on the session's
    connection as usual.
    """

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def run(self, session: Session, params: Mapping[str, Any]) -> HotResult:
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            result = connection.execute(self.statement, params)
            if not result.returns_rows:
                return HotResult((), result.rowcount)
            rows = result.all()  # SQLite counts rows only once they are fetched
            return HotResult(rows, len(rows))
        plan = self._plan(connection.dialect, tuple(params))
        values = {**plan.defaults, **params} if plan.defaults else params
        pooled = connection.connection
        cursor = pooled.info.get(_CURSOR)  # one per DBAPI connection, which one thread uses at a time
        if cursor is None or cursor.closed:
            cursor = pooled.info[_CURSOR] = pooled.dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, values, prepare=True)
            description = cursor.description
            rows = cursor.fetchall() if description else ()
        except connection.dialect.loaded_dbapi.Error as error:
            raise self._error(connection, error, plan.sql, values) from error
        if rows:
            if plan.row_type is None:
                plan.row_type = namedtuple("HotRow", [column.name for column in description])
            rows = [plan.row_type(*(_utc(value) for value in row)) for row in rows]
        return HotResult(rows, cursor.rowcount)

    def run_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per parameter set (all with the same names), as psycopg's ``executemany``."""
        if not rows:
            return  # SQLAlchemy would run it once with no parameters: a row of NULLs
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            connection.execute(self.statement, rows)
            return
        plan = self._plan(connection.dialect, tuple(rows[0]))
        pooled = connection.connection
        try:
            with pooled.dbapi_connection.cursor() as cursor:
                cursor.executemany(plan.sql, [{**plan.defaults, **row} for row in rows] if plan.defaults else rows)
        except connection.dialect.loaded_dbapi.Error as error:
            raise self._error(connection, error, plan.sql, rows) from error

    def _error(self, connection, error: Exception, sql: str, values) -> exc.DBAPIError:
        """SQLAlchemy's exception for a DBAPI error; a connection found dead is invalidated."""
        gone = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
        if gone:
            connection.invalidate(error)
        return exc.DBAPIError.instance(sql, values, error, connection.dialect.loaded_dbapi.Error,
                                       hide_parameters=connection.engine.hide_parameters,
                                       connection_invalidated=gone, dialect=connection.dialect)

    def _plan(self, dialect, names: tuple[str, ...]) -> "_Plan":
        plan = self._plans.get(names)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(names))
            given = dict.fromkeys(names)
            defaults = {k: v for k, v in compiled.construct_params(given).items() if k not in given}
            plan = self._plans[names] = _Plan(compiled.string, defaults)
        return plan


_CURSOR = "civicid.hot_cursor"


@dataclass(slots=True)
class _Plan:
    sql: str
    defaults: dict[str, Any]
    row_type: type | None = None  # known after the first row


def _utc(value: Any) -> Any:
    return value.astimezone(timezone.utc) if isinstance(value, datetime) else value
