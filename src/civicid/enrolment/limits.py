"""Attempt limits: at most ``limit`` attempts per key in any sliding ``window``, exactly, on any
number of nodes sharing the database.

Keys are HMACs under a dedicated key, so the tables hold no ID numbers, addresses or staff ids.

One mechanism for every limit (enrolment and recovery failures, partner requests, official
reads, and any new one), in one short unit of work:

1. **Lock the key.** The key's row in ``attempt_keys`` is upserted (``INSERT … ON CONFLICT … DO
   UPDATE``). In PostgreSQL, and the PostgreSQL-compatible distributed engines, that row lock is
   held until the unit of work ends, so hits on one key take turns; in SQLite, ``BEGIN
   IMMEDIATE`` already makes writers take turns. A hit on several keys locks them in one global
   order (scope, key), so two hits never wait on each other in a cycle.
2. **Count, then record, under the lock.** The attempts inside the window are read (at most
   ``limit`` of them). At the limit the hit is refused, with the seconds until the oldest leaves
   the window, and nothing is recorded; otherwise an attempt is written for every key *before*
   the work it guards (the response floor, the registry, face work) begins.
3. **One clock.** Time comes from the database, not from the node, so nodes whose clocks
   disagree still share one window. A clock that a test pinned is used as given.

Budgets that count only failures (enrolment: five failures per ID number a day) count every
attempt when it begins and :meth:`AttemptLimiter.release` it when it ends well: twenty attempts
at once cannot all start before the first failure is known.

Hold the unit of work that hit a limit only briefly: the key stays locked until it commits.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from civicid.clock import Clock, SystemClock
from civicid.enrolment.errors import Locked
from civicid.enrolment.models import Attempt, AttemptKey
from civicid.observability.interfaces import NULL_METRICS, Metrics

RATE_LIMIT_PURPOSE = "rate_limit.attempts"
MAX_SCOPE = 32


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``limit`` attempts on ``value`` within ``scope`` in any ``window``; past that,
    ``error`` with a retry-after."""

    scope: str
    value: str = field(repr=False)
    limit: int
    window: timedelta
    error: type[Locked] = Locked

    def __post_init__(self) -> None:
        if not 0 < len(self.scope) <= MAX_SCOPE:
            raise ValueError(f"a limit's scope has 1 to {MAX_SCOPE} characters")
        if self.limit < 1 or self.window <= timedelta(0):
            raise ValueError("a limit needs limit >= 1 and a positive window")


@dataclass(frozen=True, slots=True)
class Hit:
    """The attempts one hit recorded (one per key), at the database's time ``at``."""

    attempt_ids: tuple[int, ...]
    at: datetime


class DatabaseClock:
    """The database's current time: the one clock every node of the service shares."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def now(self) -> datetime:
        connection = self._session.connection()
        if connection.dialect.name == "sqlite":
            text = connection.exec_driver_sql("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')").scalar_one()
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
        return connection.execute(sa.select(sa.func.statement_timestamp())).scalar_one().astimezone(timezone.utc)


def limit_clock(clock: Clock, session: Session) -> Clock:
    """The clock limits run on: the database's instead of a node's system clock (which may be
    skewed); any other clock is one a test or a bench pinned, and is used as given."""
    return DatabaseClock(session) if isinstance(clock, SystemClock) else clock


class AttemptLimiter:
    def __init__(self, session: Session, clock: Clock, *, key: bytes, metrics: Metrics = NULL_METRICS) -> None:
        self._session = session
        self._clock = limit_clock(clock, session)
        self._key = key
        self._metrics = metrics  # hits and refusals by scope (never the value)
        self._hits: list[tuple[Hit, frozenset[tuple[str, bytes]]]] = []

    @classmethod
    def for_runtime(cls, runtime, session: Session) -> "AttemptLimiter":
        return cls(session, runtime.clock, key=runtime.keys.hmac_key(RATE_LIMIT_PURPOSE),
                   metrics=getattr(runtime, "metrics", NULL_METRICS))

    def key_for(self, scope: str, value: str) -> bytes:
        return hmac.new(self._key, f"{scope}\x1f{value}".encode(), hashlib.sha256).digest()

    def now(self) -> datetime:
        return self._clock.now()

    def hit(self, scope: str, value: str, *, limit: int, window: timedelta, error: type[Locked] = Locked) -> Hit:
        """Count one attempt on ``value`` in ``scope``, or raise ``error`` (retry-after in seconds)
        if ``limit`` attempts were counted in the last ``window``; atomic, see the module doc."""
        return self.hit_all(Limit(scope, value, limit, window, error))

    def hit_all(self, *limits: Limit) -> Hit:
        """One attempt counted on every key, or on none: if any key is at its limit, that
        limit's error is raised (the longest retry-after of those at their limit)."""
        if not limits:
            raise ValueError("hit_all needs at least one limit")
        keyed = sorted(((lim.scope, self.key_for(lim.scope, lim.value), lim) for lim in limits),
                       key=lambda item: item[:2])
        now = self._clock.now()
        for scope, key, lim in keyed:
            self._lock(scope, key, expires_at=now + lim.window)
        refused = [(retry, lim) for scope, key, lim in keyed
                   if (retry := self._retry_after(scope, key, lim, now)) is not None]
        if refused:
            for _, at_limit in refused:
                self._metrics.limit_hit(at_limit.scope, refused=True)
            retry, lim = max(refused, key=lambda item: item[0])
            raise lim.error(retry)
        ids = tuple(self._session.execute(
            sa.insert(Attempt).values(scope=scope, key=key, at=now, expires_at=now + lim.window)
            .returning(Attempt.id)).scalar_one() for scope, key, lim in keyed)
        hit = Hit(ids, now)
        for scope, _, _ in keyed:
            self._metrics.limit_hit(scope, refused=False)
        self._hits.append((hit, frozenset((scope, key) for scope, key, _ in keyed)))
        return hit

    def release(self, hit: Hit) -> None:
        """The attempt ended well: it no longer counts (for budgets of failures only)."""
        self._session.execute(sa.delete(Attempt).where(Attempt.id.in_(hit.attempt_ids))
                              .execution_options(synchronize_session=False))
        self._hits = [(h, keys) for h, keys in self._hits if h is not hit]

    def record(self, scope: str, value: str, *, failed: bool) -> None:
        """For call sites not yet moved to :meth:`hit` / :meth:`release`: ``failed=False``
        releases the hit this limiter made on the key in this unit of work (with its other keys);
        ``failed=True`` is already counted by that hit. Without such a hit, a failure is written
        as an attempt that counts for a day (not atomic: use :meth:`hit`)."""
        key = self.key_for(scope, value)
        mine = [hit for hit, keys in self._hits if (scope, key) in keys]
        if not failed:
            for hit in mine:
                self.release(hit)
        elif not mine:
            now = self._clock.now()
            self._session.execute(sa.insert(Attempt).values(scope=scope, key=key, at=now,
                                                            expires_at=now + timedelta(days=1)))

    # --- the two statements of a hit -------------------------------------------------------------
    def _lock(self, scope: str, key: bytes, *, expires_at: datetime) -> None:
        """Upsert the key's row: this transaction holds its lock until it ends. The row lives as
        long as the longest window of an attempt on it (for :mod:`civicid.maintenance`)."""
        dialect = self._session.connection().dialect.name
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = insert(AttemptKey).values(scope=scope, key=key, expires_at=expires_at)
        later = sa.case((statement.excluded.expires_at > AttemptKey.expires_at, statement.excluded.expires_at),
                        else_=AttemptKey.expires_at)
        self._session.execute(statement.on_conflict_do_update(
            index_elements=[AttemptKey.scope, AttemptKey.key], set_={"expires_at": later}))

    def _retry_after(self, scope: str, key: bytes, lim: Limit, now: datetime) -> int | None:
        """Seconds until one of the last ``lim.limit`` attempts leaves the window, or None if
        fewer than that are inside it."""
        times = self._session.scalars(
            sa.select(Attempt.at).where(Attempt.scope == scope, Attempt.key == key, Attempt.at > now - lim.window)
            .order_by(Attempt.at.desc()).limit(lim.limit)).all()
        if len(times) < lim.limit:
            return None
        return max(1, math.ceil((times[-1] + lim.window - now).total_seconds()))
