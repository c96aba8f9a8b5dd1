"""Envelope encryption of personal fields, key providers, blind index, crypto-shredding, rotation.

DESIGN.md principles 1 and 2. A pure library: the integrator stores the blobs and wrapped keys.
"""

from civicid.vault.blind_index import blind_index
from civicid.vault.datakeys import (
    DataKey,
    NewDataKey,
    create_data_key,
    generate_data_key,
    open_data_key,
)
from civicid.vault.envelope import decrypt_field, encrypt_field
from civicid.vault.errors import (
    DecryptFailed,
    KekInUse,
    KeyFilePermissions,
    KeyringInvalid,
    ShreddedKey,
    UnknownKek,
    UnwrapFailed,
    VaultError,
    VaultUsageError,
)
from civicid.vault.interfaces import (
    KeyProvider,
    RandomSource,
    RotatingKeyProvider,
    WrappedKey,
    WrappedKeyStore,
)
from civicid.vault.local_keys import LocalKeyProvider
from civicid.vault.rotation import RotationReport, retire_kek_if_unused, rewrap_all

__all__ = [
    "DataKey",
    "DecryptFailed",
    "KekInUse",
    "KeyFilePermissions",
    "KeyProvider",
    "KeyringInvalid",
    "LocalKeyProvider",
    "NewDataKey",
    "RandomSource",
    "RotatingKeyProvider",
    "RotationReport",
    "ShreddedKey",
    "UnknownKek",
    "UnwrapFailed",
    "VaultError",
    "VaultUsageError",
    "WrappedKey",
    "WrappedKeyStore",
    "blind_index",
    "create_data_key",
    "decrypt_field",
    "encrypt_field",
    "generate_data_key",
    "open_data_key",
    "retire_kek_if_unused",
    "rewrap_all",
]
