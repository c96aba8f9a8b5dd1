"""Field encryption with a citizen's data key: AES-256-GCM, DESIGN.md principle 1.

Blob format (version 1)::

    0x01 | nonce (12 bytes, random) | ciphertext | tag (16 bytes)

The associated data binds the blob to where it is stored — version, table, column and row id,
length-prefixed — so a ciphertext copied to another row or column does not decrypt. Nonces are
random (NIST SP 800-38D §8.2.2); one DEK encrypts a handful of fields per citizen, far below the
2**32 invocations that bound random 96-bit nonces.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicid.vault.aad import length_prefixed, require_text
from civicid.vault.datakeys import DataKey, key_bytes
from civicid.vault.errors import DecryptFailed, VaultUsageError
from civicid.vault.interfaces import RandomSource

FIELD_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
_AAD_LABEL = "civicid.vault.field"


def field_aad(*, table: str, column: str, row_id: str | int) -> bytes:
    """The associated data of a version-1 field blob (exposed for test vectors)."""
    require_text("table", table)
    require_text("column", column)
    if isinstance(row_id, bool) or not isinstance(row_id, (str, int)) or row_id == "":
        raise VaultUsageError("row_id must be a non-empty string or an integer.", argument="row_id")
    return length_prefixed(_AAD_LABEL, bytes([FIELD_VERSION]), table, column, str(row_id))


def encrypt_field(
    dek: DataKey | bytes,
    plaintext: bytes,
    *,
    table: str,
    column: str,
    row_id: str | int,
    rng: RandomSource = secrets,
) -> bytes:
    if not isinstance(plaintext, (bytes, bytearray)):
        raise VaultUsageError("plaintext must be bytes.", argument="plaintext")
    aad = field_aad(table=table, column=column, row_id=row_id)
    nonce = rng.token_bytes(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise VaultUsageError("the random source returned a short nonce.", argument="rng")
    sealed = AESGCM(key_bytes(dek)).encrypt(nonce, bytes(plaintext), aad)
    return bytes([FIELD_VERSION]) + nonce + sealed


def decrypt_field(
    dek: DataKey | bytes, blob: bytes, *, table: str, column: str, row_id: str | int
) -> bytes:
    """Raise ``DecryptFailed`` on a wrong key, wrong table/column/row, tampering or truncation."""
    aad = field_aad(table=table, column=column, row_id=row_id)
    key = key_bytes(dek)
    if not isinstance(blob, (bytes, bytearray)) or len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
        raise DecryptFailed()
    if blob[0] != FIELD_VERSION:
        raise DecryptFailed()
    nonce = bytes(blob[1 : 1 + NONCE_BYTES])
    try:
        return AESGCM(key).decrypt(nonce, bytes(blob[1 + NONCE_BYTES :]), aad)
    except InvalidTag:
        raise DecryptFailed() from None
