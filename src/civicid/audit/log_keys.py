"""Rotating the key that signs tree heads, with every old head still verifiable.

The first log key (serial 1, the *anchor*) is the one verifiers pin. A rotation is a
:class:`LogKey`: key ``serial`` signs the heads of tree sizes ``first_size`` and up (until the
next rotation), and the key it replaces signs that statement (an *endorsement*), so a verifier
who trusts the anchor follows the chain without trusting the database that stores it. A head of
size ``s`` verifies under the newest valid key whose ``first_size <= s`` (RFC 9162 §4.10 leaves key
rollover to the log; this is the same idea as RFC 9162 §4.1's log parameters changing over time,
made checkable). The empty-tree head commits to nothing (its root is SHA-256 of ""), so it may be
signed by any key of the chain.

Endorsed bytes (integers big-endian)::

    "civicid.audit.log_key.v1" 0x00   uint32 serial   uint64 first_size   public_key[32]

A rotation that does not verify (a wrong serial, a ``first_size`` below its predecessor's, a bad
endorsement) ends the chain there: it and every later one are ignored and reported, and the heads
they signed no longer verify.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from civicid.audit.sth import TreeHeadLike, verify_tree_head
from civicid.audit.wire import b64

CONTEXT = b"civicid.audit.log_key.v1\x00"
ANCHOR_SERIAL = 1
_MAX_U32 = (1 << 32) - 1
_MAX_U64 = (1 << 64) - 1


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def endorsement_message(*, serial: int, first_size: int, public_key: bytes) -> bytes:
    return CONTEXT + struct.pack(">IQ", serial, first_size) + public_key


@dataclass(frozen=True, slots=True)
class LogKey:
    """One rotation, as stored (unvalidated: a tampered row must still load, to be reported)."""

    serial: int
    public_key: bytes
    first_size: int
    endorsement: bytes

    def to_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "public_key": b64(self.public_key), "first_size": self.first_size,
                "endorsement": b64(self.endorsement)}


def endorse(previous: Ed25519PrivateKey, successor: Ed25519PublicKey, *, serial: int, first_size: int) -> LogKey:
    """The rotation to ``successor`` from tree size ``first_size`` on, signed by ``previous``."""
    public = raw_public_key(successor)
    message = endorsement_message(serial=serial, first_size=first_size, public_key=public)
    return LogKey(serial, public, first_size, previous.sign(message))


def _loaded(rotation: LogKey, previous_serial: int, previous_first: int, endorser: Ed25519PublicKey
            ) -> Ed25519PublicKey | None:
    serial, first_size = rotation.serial, rotation.first_size
    for value, top in ((serial, _MAX_U32), (first_size, _MAX_U64)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            return None
    if serial != previous_serial + 1 or first_size < max(previous_first, 1):
        return None
    try:
        public = bytes(rotation.public_key)
        key = Ed25519PublicKey.from_public_bytes(public)
        endorser.verify(bytes(rotation.endorsement),
                        endorsement_message(serial=serial, first_size=first_size, public_key=public))
    except (InvalidSignature, ValueError, TypeError):
        return None
    return key


@dataclass(frozen=True, slots=True)
class KeyChain:
    """The anchor and the rotations that verify, oldest first; ``rejected`` is the first that did
    not (everything stored after it is ignored too)."""

    keys: tuple[tuple[int, int, Ed25519PublicKey], ...]
    """``(serial, first_size, key)``, the anchor ``(1, 0, anchor)`` first."""
    rejected: LogKey | None = None

    @classmethod
    def build(cls, anchor: Ed25519PublicKey, rotations: Sequence[LogKey] = ()) -> KeyChain:
        keys = [(ANCHOR_SERIAL, 0, anchor)]
        for rotation in rotations:
            serial, first, endorser = keys[-1]
            key = _loaded(rotation, serial, first, endorser)
            if key is None:
                return cls(tuple(keys), rotation)
            keys.append((rotation.serial, rotation.first_size, key))
        return cls(tuple(keys))

    @property
    def current(self) -> tuple[int, Ed25519PublicKey]:
        """Serial and key that sign the next heads."""
        serial, _, key = self.keys[-1]
        return serial, key

    def key_for(self, tree_size: int) -> Ed25519PublicKey:
        """The key that signs heads of ``tree_size``: the newest with ``first_size <= tree_size``."""
        chosen = self.keys[0][2]
        for _, first, key in self.keys:
            if first <= tree_size:
                chosen = key
        return chosen

    def verifies(self, head: TreeHeadLike) -> bool:
        """The head's signature verifies under the key for its size (any key for size 0). Never raises."""
        size = getattr(head, "tree_size", None)
        if size == 0 and not isinstance(size, bool):
            return any(verify_tree_head(head, key) for _, _, key in self.keys)
        if not isinstance(size, int) or isinstance(size, bool):
            return False
        return verify_tree_head(head, self.key_for(size))
