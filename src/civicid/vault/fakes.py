"""In-memory stand-ins for tests: a key provider with pinned randomness and a wrapped-key store."""

from __future__ import annotations

import hashlib
from typing import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.vault.interfaces import WrappedKey
from civicid.vault.keyring import Keyring


class DeterministicRandom:
    """A ``RandomSource`` that replays the same bytes for the same seed (SHAKE-256 stream)."""

    def __init__(self, seed: bytes = b"civicid-test") -> None:
        self._seed = bytes(seed)
        self._counter = 0

    def token_bytes(self, nbytes: int) -> bytes:
        self._counter += 1
        block = self._seed + self._counter.to_bytes(8, "big")
        return hashlib.shake_256(block).digest(nbytes)

    def __repr__(self) -> str:
        return f"DeterministicRandom(counter={self._counter})"


class FakeKeyProvider:
    """``LocalKeyProvider``'s keyring crypto, held in memory, every byte pinned by ``seed``."""

    def __init__(self, *, seed: bytes = b"civicid-fake-keys") -> None:
        self._rng = DeterministicRandom(seed)
        self._ring = Keyring.generate(self._rng)
        self.unwrap_calls = 0

    @property
    def current_kek_id(self) -> str:
        return self._ring.current_kek_id

    @property
    def kek_ids(self) -> tuple[str, ...]:
        return self._ring.kek_ids

    def wrap(self, dek: bytes, *, owner: str) -> WrappedKey:
        return self._ring.wrap(dek, owner=owner, rng=self._rng)

    def unwrap(self, wrapped: WrappedKey, *, owner: str) -> bytes:
        self.unwrap_calls += 1
        return self._ring.unwrap(wrapped, owner=owner)

    def hmac_key(self, purpose: str) -> bytes:
        return self._ring.hmac_key(purpose)

    def signing_key(self, purpose: str) -> Ed25519PrivateKey:
        return self._ring.signing_key(purpose)

    def rotate_kek(self) -> str:
        self._ring = self._ring.rotated(self._rng)
        return self._ring.current_kek_id

    def retire_kek(self, kek_id: str) -> None:
        self._ring = self._ring.retired(kek_id)

    def __repr__(self) -> str:
        return f"FakeKeyProvider(current_kek_id={self._ring.current_kek_id!r})"


class InMemoryWrappedKeyStore:
    """A ``WrappedKeyStore`` over a dict, plus the put/get/delete the integrator's table offers."""

    def __init__(self) -> None:
        self._rows: dict[str, WrappedKey] = {}

    def put(self, owner: str, wrapped: WrappedKey) -> None:
        self._rows[owner] = wrapped

    def get(self, owner: str) -> WrappedKey | None:
        return self._rows.get(owner)

    def delete(self, owner: str) -> None:
        """Crypto-shredding: the wrapped data key is gone, so is every field under it."""
        self._rows.pop(owner, None)

    def owners_under(self, kek_id: str) -> tuple[str, ...]:
        return tuple(sorted(o for o, w in self._rows.items() if w.kek_id == kek_id))

    def stale_batch(
        self, current_kek_id: str, *, after: str | None, limit: int
    ) -> Sequence[tuple[str, WrappedKey]]:
        rows = sorted(
            (
                (owner, wrapped)
                for owner, wrapped in self._rows.items()
                if wrapped.kek_id != current_kek_id and (after is None or owner > after)
            ),
            key=lambda row: row[0],
        )
        return rows[:limit]

    def replace(self, owner: str, *, expected: WrappedKey, new: WrappedKey) -> bool:
        if self._rows.get(owner) != expected:
            return False
        self._rows[owner] = new
        return True

    def __len__(self) -> int:
        return len(self._rows)
