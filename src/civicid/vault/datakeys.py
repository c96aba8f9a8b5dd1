"""Per-citizen data keys (DEKs) and their envelope: DESIGN.md principles 1 and 2.

Each citizen has one random 256-bit data key. Only its wrapped form (``WrappedKey``) is stored;
destroying that wrapped key is crypto-shredding: every field encrypted under the DEK becomes
unreadable, including copies in backups.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from civicid.vault.aad import require_text
from civicid.vault.errors import ShreddedKey, VaultUsageError
from civicid.vault.interfaces import KeyProvider, RandomSource, WrappedKey

DEK_BYTES = 32


class DataKey:
    """A citizen's plaintext data key, held only in memory for the duration of a request.

    The key bytes never appear in ``repr``/``str``; ``bytes(key)`` gives them to the cipher.
    """

    __slots__ = ("_material",)

    def __init__(self, material: bytes) -> None:
        if not isinstance(material, (bytes, bytearray)) or len(material) != DEK_BYTES:
            raise VaultUsageError(f"A data key must be {DEK_BYTES} bytes.", argument="dek")
        self._material = bytes(material)

    def __bytes__(self) -> bytes:
        return self._material

    def __repr__(self) -> str:
        return "DataKey(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataKey):
            return NotImplemented
        return secrets.compare_digest(self._material, other._material)

    __hash__ = None  # type: ignore[assignment]  # keys do not belong in sets or dict keys

    def __reduce__(self) -> None:  # type: ignore[override]
        raise TypeError("DataKey cannot be pickled")


@dataclass(frozen=True, slots=True)
class NewDataKey:
    """A fresh data key: ``dek`` encrypts the citizen's fields now, ``wrapped`` is stored."""

    dek: DataKey
    wrapped: WrappedKey


def key_bytes(dek: DataKey | bytes) -> bytes:
    if isinstance(dek, DataKey):
        return bytes(dek)
    return bytes(DataKey(dek))


def generate_data_key(*, rng: RandomSource = secrets) -> DataKey:
    return DataKey(rng.token_bytes(DEK_BYTES))


def create_data_key(
    provider: KeyProvider, *, owner: str, rng: RandomSource = secrets
) -> NewDataKey:
    """Issue a data key for a new citizen ``owner`` and wrap it under the provider's current KEK."""
    require_text("owner", owner)
    dek = generate_data_key(rng=rng)
    return NewDataKey(dek=dek, wrapped=provider.wrap(bytes(dek), owner=owner))


def open_data_key(provider: KeyProvider, wrapped: WrappedKey | None, *, owner: str) -> DataKey:
    """Unwrap ``owner``'s data key. ``wrapped`` is None when the stored key was destroyed, and
    that raises ``ShreddedKey`` (vault.key_destroyed)."""
    require_text("owner", owner)
    if wrapped is None:
        raise ShreddedKey()
    return DataKey(provider.unwrap(wrapped, owner=owner))
