"""Typed errors of the vault. Codes are part of the API and never change meaning.

Key problems are the server's problems (status 500): a citizen can do nothing about them, and the
message never says which key or why, so an error body cannot become a decryption oracle. The one
exception is a destroyed data key (410): the citizen deleted their account, the data is gone.
"""

from __future__ import annotations

from civicid.errors import CivicIDError


class VaultError(CivicIDError):
    code = "vault.error"
    status = 500
    default_message = "The key vault could not complete the operation."


class VaultUsageError(VaultError):
    """A programming error: empty owner or column, a key of the wrong length, a bad purpose name."""

    code = "vault.invalid_argument"
    default_message = "The key vault was called with an invalid argument."


class DecryptFailed(VaultError):
    """Wrong key, wrong table/column/row, tampering, truncation or an unknown format version."""

    code = "vault.decrypt_failed"
    default_message = "A protected field could not be decrypted."


class ShreddedKey(VaultError):
    """The citizen's data key was destroyed (crypto-shredding); their fields are gone for good."""

    code = "vault.key_destroyed"
    status = 410
    default_message = "This data was deleted and can no longer be read."


class UnwrapFailed(VaultError):
    """A wrapped data key did not open: wrong owner, tampering, or another keyring wrapped it."""

    code = "vault.unwrap_failed"
    default_message = "A data key could not be unwrapped."


class UnknownKek(VaultError):
    code = "vault.unknown_kek"
    default_message = "The key-encryption key needed for this data key is not in the keyring."


class KekInUse(VaultError):
    code = "vault.kek_in_use"
    status = 409
    default_message = "This key-encryption key is still in use and cannot be retired."


class KeyFilePermissions(VaultError):
    code = "vault.key_file_permissions"
    default_message = "The keyring file is accessible to other users; refusing to start."


class KeyringInvalid(VaultError):
    code = "vault.keyring_invalid"
    default_message = "The keyring file could not be read."
