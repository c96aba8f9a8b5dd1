"""Shared vault test helpers: vector files, a fixed random source, a pinned fake provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from civicid.vault.fakes import FakeKeyProvider, InMemoryWrappedKeyStore

VECTORS = Path(__file__).parents[2] / "vectors" / "vault"


def load_vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


class FixedBytes:
    """A random source that returns the given bytes once (for test vectors)."""

    def __init__(self, value: bytes) -> None:
        self.value = value

    def token_bytes(self, nbytes: int) -> bytes:
        if nbytes != len(self.value):
            raise ValueError(f"asked for {nbytes} bytes, have {len(self.value)}")
        return self.value


@pytest.fixture
def provider() -> FakeKeyProvider:
    return FakeKeyProvider()


@pytest.fixture
def store() -> InMemoryWrappedKeyStore:
    return InMemoryWrappedKeyStore()
