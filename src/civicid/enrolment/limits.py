"""Counting attempts per ID number, client address or partner, without storing any of them.

Keys are HMACs under a dedicated key, so the attempts table holds no ID numbers or addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.clock import Clock
from civicid.enrolment.errors import Locked
from civicid.enrolment.models import Attempt


class AttemptLimiter:
    def __init__(self, session: Session, clock: Clock, *, key: bytes) -> None:
        self._session = session
        self._clock = clock
        self._key = key

    def key_for(self, scope: str, value: str) -> bytes:
        return hmac.new(self._key, f"{scope}\x1f{value}".encode(), hashlib.sha256).digest()

    def check(self, scope: str, value: str, *, limit: int, window: timedelta, failed_only: bool = True,
              error: type[Locked] = Locked) -> None:
        """Raise ``error`` with a retry-after when ``limit`` attempts were made inside ``window``."""
        key = self.key_for(scope, value)
        since = self._clock.now() - window
        query = sa.select(Attempt.at).where(Attempt.scope == scope, Attempt.key == key, Attempt.at > since)
        if failed_only:
            query = query.where(Attempt.failed.is_(True))
        times = sorted(self._session.scalars(query).all())
        if len(times) >= limit:
            oldest_counted = times[len(times) - limit]
            retry = (oldest_counted + window - self._clock.now()).total_seconds()
            raise error(max(1, math.ceil(retry)))

    def record(self, scope: str, value: str, *, failed: bool) -> None:
        self._session.add(Attempt(scope=scope, key=self.key_for(scope, value), failed=failed, at=self._clock.now()))
