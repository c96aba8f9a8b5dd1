"""The keyring behind a key provider: KEK versions, the root secret, and the crypto on them.

Wrapping (version 1)::

    0x01 | nonce (12 bytes) | AES-256-GCM(KEK, DEK, aad = label, version, kek_id, owner)

Per-purpose keys are HKDF-SHA256 (RFC 5869) of the root secret with ``info`` naming the kind and
the purpose, so the blind-index key, the pairwise-subject key and the log signing key are
independent, and each is the same after a restart.

A ``Keyring`` is immutable; rotation returns a new one that the provider then persists.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civicid.vault.aad import length_prefixed, require_text
from civicid.vault.datakeys import DEK_BYTES
from civicid.vault.errors import (
    KekInUse,
    KeyringInvalid,
    UnknownKek,
    UnwrapFailed,
    VaultUsageError,
)
from civicid.vault.interfaces import RandomSource, WrappedKey

KEYRING_FORMAT = "civicid.keyring.v1"
KEY_BYTES = 32
WRAP_VERSION = 1
_NONCE_BYTES = 12
_WRAP_LABEL = "civicid.vault.wrap"
_HKDF_SALT = b"civicid.vault.hkdf.v1"
_PURPOSE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")


def check_purpose(purpose: str) -> str:
    if not isinstance(purpose, str) or not _PURPOSE.match(purpose):
        raise VaultUsageError(
            "A key purpose is 1-64 characters of a-z, 0-9, '_', '.', '-'.", argument="purpose"
        )
    return purpose


def derive(root_secret: bytes, *, kind: str, purpose: str) -> bytes:
    """HKDF-SHA256 (RFC 5869 §2) of the root secret; ``info`` = length-prefixed (kind, purpose)."""
    info = length_prefixed("civicid.vault", kind, check_purpose(purpose))
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_HKDF_SALT, info=info).derive(
        root_secret
    )


def _wrap_aad(kek_id: str, owner: str) -> bytes:
    return length_prefixed(_WRAP_LABEL, bytes([WRAP_VERSION]), kek_id, owner)


def _new_kek_id(serial: int, rng: RandomSource) -> str:
    # The random suffix keeps ids distinct if a lost keyring is ever recreated: a data key from
    # the old one then fails as "unknown KEK" rather than as a confusing unwrap failure.
    return f"kek-{serial:04d}-{rng.token_bytes(4).hex()}"


@dataclass(frozen=True, slots=True)
class Keyring:
    root_secret: bytes = field(repr=False)
    keks: Mapping[str, bytes] = field(repr=False)
    current_kek_id: str
    serial: int
    # per-purpose keys derived so far: HKDF and key construction cost more than the signing or
    # MAC they serve, and the log key is asked for on every recorded event
    _derived: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def generate(cls, rng: RandomSource) -> "Keyring":
        kek_id = _new_kek_id(1, rng)
        return cls(
            root_secret=_random_key(rng),
            keks=MappingProxyType({kek_id: _random_key(rng)}),
            current_kek_id=kek_id,
            serial=1,
        )

    @property
    def kek_ids(self) -> tuple[str, ...]:
        return tuple(self.keks)

    def rotated(self, rng: RandomSource) -> "Keyring":
        serial = self.serial + 1
        kek_id = _new_kek_id(serial, rng)
        keks = dict(self.keks)
        keks[kek_id] = _random_key(rng)
        return Keyring(self.root_secret, MappingProxyType(keks), kek_id, serial)

    def retired(self, kek_id: str) -> "Keyring":
        if kek_id == self.current_kek_id:
            raise KekInUse("The current key-encryption key cannot be retired.", kek_id=kek_id)
        if kek_id not in self.keks:
            raise UnknownKek(kek_id=kek_id)
        keks = {k: v for k, v in self.keks.items() if k != kek_id}
        return Keyring(self.root_secret, MappingProxyType(keks), self.current_kek_id, self.serial)

    def wrap(self, dek: bytes, *, owner: str, rng: RandomSource) -> WrappedKey:
        require_text("owner", owner)
        if not isinstance(dek, (bytes, bytearray)) or len(dek) != DEK_BYTES:
            raise VaultUsageError(f"A data key must be {DEK_BYTES} bytes.", argument="dek")
        kek_id = self.current_kek_id
        nonce = rng.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self.keks[kek_id]).encrypt(nonce, bytes(dek), _wrap_aad(kek_id, owner))
        return WrappedKey(kek_id=kek_id, blob=bytes([WRAP_VERSION]) + nonce + sealed)

    def unwrap(self, wrapped: WrappedKey, *, owner: str) -> bytes:
        require_text("owner", owner)
        kek = self.keks.get(wrapped.kek_id)
        if kek is None:
            raise UnknownKek(kek_id=wrapped.kek_id)
        blob = wrapped.blob
        if len(blob) != 1 + _NONCE_BYTES + DEK_BYTES + 16 or blob[0] != WRAP_VERSION:
            raise UnwrapFailed(kek_id=wrapped.kek_id)
        try:
            nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
            return AESGCM(kek).decrypt(nonce, sealed, _wrap_aad(wrapped.kek_id, owner))
        except InvalidTag:
            raise UnwrapFailed(kek_id=wrapped.kek_id) from None

    def hmac_key(self, purpose: str) -> bytes:
        key = self._derived.get(("hmac", purpose))
        if key is None:
            key = self._derived[("hmac", purpose)] = derive(self.root_secret, kind="hmac", purpose=purpose)
        return key

    def signing_key(self, purpose: str) -> Ed25519PrivateKey:
        key = self._derived.get(("ed25519", purpose))
        if key is None:
            seed = derive(self.root_secret, kind="ed25519", purpose=purpose)
            key = self._derived[("ed25519", purpose)] = Ed25519PrivateKey.from_private_bytes(seed)
        return key

    def to_json(self) -> dict[str, Any]:
        return {
            "format": KEYRING_FORMAT,
            "root_secret": _b64(self.root_secret),
            "current_kek_id": self.current_kek_id,
            "serial": self.serial,
            "keks": {kek_id: _b64(key) for kek_id, key in self.keks.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> "Keyring":
        try:
            if data["format"] != KEYRING_FORMAT:
                raise ValueError("format")
            keks = {str(k): _unb64(v) for k, v in dict(data["keks"]).items()}
            ring = cls(
                root_secret=_unb64(data["root_secret"]),
                keks=MappingProxyType(keks),
                current_kek_id=str(data["current_kek_id"]),
                serial=int(data["serial"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error, AttributeError):
            raise KeyringInvalid() from None
        if ring.current_kek_id not in keks:
            raise KeyringInvalid("The keyring's current key-encryption key is missing.")
        return ring


def _random_key(rng: RandomSource) -> bytes:
    key = rng.token_bytes(KEY_BYTES)
    if len(key) != KEY_BYTES:
        raise VaultUsageError("the random source returned a short key.", argument="rng")
    return key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: Any) -> bytes:
    raw = base64.b64decode(str(text), validate=True)
    if len(raw) != KEY_BYTES:
        raise ValueError("key length")
    return raw
