"""Watching the units of work of a request: which transactions are open while the face engine works."""

from __future__ import annotations

import threading

import sqlalchemy as sa


def open_transactions(engine: sa.Engine) -> int:
    """Transactions other connections hold open right now. SQLite: 1 when another connection
    holds the write lock (BEGIN IMMEDIATE cannot start), else 0."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return connection.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"))
    probe = sa.create_engine(engine.url, connect_args={"timeout": 0.2, "isolation_level": None})
    try:
        with probe.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("ROLLBACK")
        return 0
    except sa.exc.OperationalError:
        return 1
    finally:
        probe.dispose()


class WatchingEngine:
    """The real engine, noting how many transactions were open each time it was asked to work."""

    def __init__(self, engine, database: sa.Engine) -> None:
        self._engine, self._database = engine, database
        self.name = engine.name
        self.threshold = engine.threshold
        self.open_while_working: list[int] = []

    def detect(self, image):
        self.open_while_working.append(open_transactions(self._database))
        return self._engine.detect(image)

    def embed(self, image, faces):
        return self._engine.embed(image, faces)


class BlockingEngine(WatchingEngine):
    """Blocks in its first ``detect`` until the test calls ``release``, so the test can act while a
    decision is in the middle of its face work."""

    def __init__(self, engine, database: sa.Engine) -> None:
        super().__init__(engine, database)
        self.working, self._released = threading.Event(), threading.Event()

    def detect(self, image):
        if not self.working.is_set():
            self.working.set()
            self._released.wait(timeout=60)
        return super().detect(image)

    def release(self) -> None:
        self._released.set()
