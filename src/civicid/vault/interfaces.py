"""The swappable parts of the vault: where KEKs live, and where wrapped data keys are stored.

DESIGN.md principle 1: data keys are wrapped by a key-encryption key held by a key provider outside
the database. ``LocalKeyProvider`` keeps the keyring in a file; an HSM or cloud KMS adapter
implements the same Protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A data key encrypted under the KEK ``kek_id``; safe to store beside the citizen's row."""

    kek_id: str
    blob: bytes = field(repr=False)


class RandomSource(Protocol):
    """Where keys and nonces come from: the ``secrets`` module in production, pinned in tests."""

    def token_bytes(self, nbytes: int) -> bytes: ...


@runtime_checkable
class KeyProvider(Protocol):
    @property
    def current_kek_id(self) -> str: ...

    def wrap(self, dek: bytes, *, owner: str) -> WrappedKey:
        """Encrypt ``dek`` under the current KEK, bound to ``owner`` (the citizen id) as AAD."""

    def unwrap(self, wrapped: WrappedKey, *, owner: str) -> bytes:
        """Raise ``UnknownKek`` or ``UnwrapFailed``; never return a key for another owner."""

    def hmac_key(self, purpose: str) -> bytes:
        """A 256-bit key for one purpose ("blind_index.id_number", "pairwise_subject", ...)."""

    def signing_key(self, purpose: str) -> Ed25519PrivateKey:
        """An Ed25519 key for one purpose ("transparency_log"), the same across restarts."""


@runtime_checkable
class RotatingKeyProvider(KeyProvider, Protocol):
    @property
    def kek_ids(self) -> tuple[str, ...]: ...

    def rotate_kek(self) -> str:
        """Add a new KEK and make it current; older KEKs still unwrap. Returns the new id."""

    def retire_kek(self, kek_id: str) -> None:
        """Forget an old KEK. Only after ``rewrap_all`` left no data key under it."""


class WrappedKeyStore(Protocol):
    """Narrow storage hooks for key rotation; the integrator implements them over the citizen table.

    Rows are ordered by owner so that ``stale_batch`` can page with a keyset
    (``WHERE kek_id <> :current AND owner > :after ORDER BY owner LIMIT :limit``).
    """

    def stale_batch(
        self, current_kek_id: str, *, after: str | None, limit: int
    ) -> Sequence[tuple[str, WrappedKey]]:
        """Up to ``limit`` (owner, wrapped key) rows whose kek_id is not ``current_kek_id``,
        with owner > ``after`` (all owners if None), in ascending owner order."""

    def replace(self, owner: str, *, expected: WrappedKey, new: WrappedKey) -> bool:
        """Store ``new`` for ``owner`` only if the stored key is still ``expected`` (compare and
        set). Return False if it changed or was deleted meanwhile: a citizen shredded during a
        rotation must stay shredded."""
