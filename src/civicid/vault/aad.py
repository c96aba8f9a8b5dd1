"""Unambiguous encoding of associated data: every part is length-prefixed.

Plain concatenation would let ("ab", "c") and ("a", "bc") authenticate each other's ciphertexts;
a 4-byte big-endian length before each part makes the encoding injective.
"""

from __future__ import annotations

from civicid.vault.errors import VaultUsageError


def length_prefixed(*parts: str | bytes) -> bytes:
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8") if isinstance(part, str) else bytes(part)
        out += len(raw).to_bytes(4, "big")
        out += raw
    return bytes(out)


def require_text(name: str, value: object) -> str:
    """A non-empty string for a context part (table, column, owner, purpose...)."""
    if not isinstance(value, str) or not value:
        raise VaultUsageError(f"{name} must be a non-empty string.", argument=name)
    return value
