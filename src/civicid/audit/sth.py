"""Signed tree heads (RFC 9162 §4.10) with Ed25519.

Signed bytes (all integers big-endian)::

    "civicid.audit.sth.v1" 0x00                 context string, 21 bytes
    uint64  timestamp_ms                        milliseconds since the Unix epoch
    uint64  tree_size
    uint8   32  || root_hash[32]                NodeHash<32..2^8-1>
    uint16  0                                   no sth_extensions

After the context string this is exactly the TLS encoding of RFC 9162's ``TreeHeadDataV2``
(§4.10). The context string keeps a tree-head signature from ever being valid for anything else
the same key might sign. The signature is Ed25519 (RFC 8032) over those bytes.

JSON form (``civicid audit sth > FILE``), binary fields in standard base64, named after RFC 6962
§4.3 ``get-sth``::

    {"version": "civicid.audit.sth.v1", "tree_size": 8, "timestamp": 1738311300000,
     "sha256_root_hash": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
     "tree_head_signature": "<64 bytes, base64>"}
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicid.audit.errors import MalformedTreeHead
from civicid.audit.merkle import HASH_SIZE
from civicid.audit.wire import b64, read_b64, read_int

STH_VERSION = "civicid.audit.sth.v1"
CONTEXT = STH_VERSION.encode("ascii") + b"\x00"
SIGNATURE_SIZE = 64
_MAX_U64 = (1 << 64) - 1


class TreeHeadLike(Protocol):
    """Anything with the four fields of a signed tree head (e.g. a database row)."""

    @property
    def tree_size(self) -> int: ...
    @property
    def timestamp_ms(self) -> int: ...
    @property
    def root_hash(self) -> bytes: ...
    @property
    def signature(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """A log's signed statement that its first ``tree_size`` entries have Merkle root ``root_hash``."""

    tree_size: int
    timestamp_ms: int
    root_hash: bytes
    signature: bytes

    def __post_init__(self) -> None:
        for name in ("tree_size", "timestamp_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_U64:
                raise MalformedTreeHead(f"{name} must be an unsigned 64-bit integer.")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise MalformedTreeHead(f"root_hash must be {HASH_SIZE} bytes.")
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_SIZE:
            raise MalformedTreeHead(f"signature must be {SIGNATURE_SIZE} bytes.")

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STH_VERSION,
            "tree_size": self.tree_size,
            "timestamp": self.timestamp_ms,
            "sha256_root_hash": b64(self.root_hash),
            "tree_head_signature": b64(self.signature),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, obj: Any) -> SignedTreeHead:
        if not isinstance(obj, dict):
            raise MalformedTreeHead("A signed tree head must be a JSON object.")
        if obj.get("version") != STH_VERSION:
            raise MalformedTreeHead(f"Unsupported tree head version {obj.get('version')!r}; expected {STH_VERSION}.")
        return cls(
            tree_size=read_int(obj, "tree_size", MalformedTreeHead),
            timestamp_ms=read_int(obj, "timestamp", MalformedTreeHead),
            root_hash=read_b64(obj, "sha256_root_hash", MalformedTreeHead, size=HASH_SIZE),
            signature=read_b64(obj, "tree_head_signature", MalformedTreeHead, size=SIGNATURE_SIZE),
        )

    @classmethod
    def loads(cls, text: str | bytes) -> SignedTreeHead:
        try:
            obj = json.loads(text)
        except ValueError:
            raise MalformedTreeHead("The signed tree head is not JSON.") from None
        return cls.from_json(obj)


def tree_head_message(*, tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    """The exact bytes an STH signature covers (see the module docstring)."""
    if not 0 <= tree_size <= _MAX_U64 or not 0 <= timestamp_ms <= _MAX_U64:
        raise MalformedTreeHead("tree_size and timestamp_ms must be unsigned 64-bit integers.")
    if len(root_hash) != HASH_SIZE:
        raise MalformedTreeHead(f"root_hash must be {HASH_SIZE} bytes.")
    return CONTEXT + struct.pack(">QQB", timestamp_ms, tree_size, HASH_SIZE) + root_hash + b"\x00\x00"


def sign_tree_head(
    private_key: Ed25519PrivateKey, *, tree_size: int, timestamp_ms: int, root_hash: bytes
) -> SignedTreeHead:
    message = tree_head_message(tree_size=tree_size, timestamp_ms=timestamp_ms, root_hash=root_hash)
    return SignedTreeHead(tree_size, timestamp_ms, root_hash, private_key.sign(message))


def verify_tree_head(head: TreeHeadLike, public_key: Ed25519PublicKey) -> bool:
    """True iff ``head.signature`` is the log key's Ed25519 signature over the head's fields.

    Never raises: a head read back from storage may have been garbled into any shape.
    """
    try:
        tree_size, timestamp_ms = head.tree_size, head.timestamp_ms
        root_hash, signature = bytes(head.root_hash), bytes(head.signature)
        for value in (tree_size, timestamp_ms):
            if not isinstance(value, int) or isinstance(value, bool):
                return False
        message = tree_head_message(tree_size=tree_size, timestamp_ms=timestamp_ms, root_hash=root_hash)
        if len(signature) != SIGNATURE_SIZE:
            return False
        public_key.verify(signature, message)
    except (InvalidSignature, MalformedTreeHead, TypeError, ValueError, AttributeError):
        return False
    return True
