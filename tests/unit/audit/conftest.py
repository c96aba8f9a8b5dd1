"""Fixed keys, a pinned clock and vector files for the audit tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.tree import TransparencyLog

VECTORS = Path(__file__).parents[2] / "vectors" / "audit"
T0 = datetime(2025, 1, 31, 8, 0, tzinfo=timezone.utc)


def load_vectors(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text())


class StepClock:
    """Milliseconds that advance by one second per call."""

    def __init__(self, start_ms: int = 1_738_310_400_000) -> None:
        self.now = start_ms

    def __call__(self) -> int:
        self.now += 1000
        return self.now


@pytest.fixture
def log_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))


def make_event(i: int) -> LogEvent:
    tags = [EventTag.RP_CITIZEN_CLAIMS_RELEASED, EventTag.PARTNER_CITIZEN_VERIFY, EventTag.CITIZEN_SELF_READ]
    tag = tags[i % len(tags)]
    actor = {"rp": f"rp:client-{i % 5}", "partner": "partner:telco-1", "citizen": "citizen"}[tag.source]
    return LogEvent(tag, actor, f"c_{i % 7:04x}", "", T0 + timedelta(seconds=i))


@pytest.fixture
def build_log(log_key: Ed25519PrivateKey) -> Callable[[int], tuple[TransparencyLog, MemoryLogStore]]:
    def build(n: int) -> tuple[TransparencyLog, MemoryLogStore]:
        store = MemoryLogStore()
        log = TransparencyLog(store, log_key, clock_ms=StepClock())
        for i in range(n):
            log.append(make_event(i))
        return log, store

    return build
