"""Keyed blind index for equality lookups without plaintext: DESIGN.md principle 1.

``blind_index(key, value)`` is HMAC-SHA256 (RFC 2104) of the UTF-8 value. Use one key per indexed
column (``provider.hmac_key("blind_index.id_number")``) so equal values in different columns do
not produce equal indexes. The caller normalises the value first (``ids/`` for ID numbers): the
index only matches byte-identical input.
"""

from __future__ import annotations

import hashlib
import hmac

from civicid.vault.errors import VaultUsageError

MIN_KEY_BYTES = 32


def blind_index(key: bytes, normalised_value: str) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        raise VaultUsageError(
            f"A blind-index key must be at least {MIN_KEY_BYTES} bytes.", argument="key"
        )
    if not isinstance(normalised_value, str) or not normalised_value:
        raise VaultUsageError("The indexed value must be a non-empty string.", argument="value")
    return hmac.new(bytes(key), normalised_value.encode("utf-8"), hashlib.sha256).digest()
