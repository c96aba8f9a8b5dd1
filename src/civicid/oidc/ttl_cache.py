"""A small process-wide cache whose entries expire, for rows every sign-in reads but that change
rarely (the current signing key, registered clients). Held in ``Runtime.shared``."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Entries are served for ``ttl`` after they were put; a clock that went back expires them.
    At most ``max_entries`` are kept (the oldest go first), so keys taken from requests cannot
    grow it without bound."""

    def __init__(self, *, ttl: timedelta, max_entries: int = 1024) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[V, datetime]] = {}

    def get(self, key: K, now: datetime) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, put_at = entry
            if now - put_at >= self._ttl or now < put_at:
                del self._entries[key]
                return None
            return value

    def put(self, key: K, value: V, now: datetime) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (value, now)
