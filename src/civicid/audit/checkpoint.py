"""Checkpoints (C2SP tlog-checkpoint, https://c2sp.org/tlog-checkpoint): the log's signed tree head
as a signed note (:mod:`civicid.audit.note`), the form the Go checksum database, Sigstore, Sigsum
and the witness network read::

    localhost:8000/log
    300
    8ypcE6UnkbW1wDMs0FyxoXNPvBWwT8OLo1Xp2y5eT3M=

    — localhost:8000/log Az3grl...

Line 1 is the *origin* (the log's identity: its URL prefix without scheme or trailing slash,
tlog-tiles "Parameters"), line 2 the tree size, line 3 the RFC 6962 root hash in base64. The key
name is the origin (tlog-checkpoint "Signatures": "SHOULD match"). CivicID adds no extension lines.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicid.audit.merkle import HASH_SIZE
from civicid.audit.note import MalformedNote, NoteSignature, SignedNote, check_key_name, parse_note, sign_note

LOG_PATH = "/log"


def origin_for(public_url: str, path: str = LOG_PATH) -> str:
    """The origin of the log served at ``public_url`` + ``path``: ``https://id.example/`` gives
    ``id.example/log`` (scheme-less, no trailing slash; tlog-tiles "Parameters")."""
    parts = urlsplit(public_url)
    if not parts.netloc:
        raise ValueError(f"{public_url!r} is not an absolute URL.")
    origin = (parts.netloc + parts.path.rstrip("/") + path).rstrip("/")
    return check_key_name(origin)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        check_key_name(self.origin)
        if isinstance(self.tree_size, bool) or not 0 <= self.tree_size < 1 << 64:
            raise MalformedNote("A checkpoint's tree size is an unsigned 64-bit integer.")
        if len(self.root_hash) != HASH_SIZE:
            raise MalformedNote(f"A checkpoint's root hash is {HASH_SIZE} bytes.")

    def text(self) -> str:
        """The note text: origin, size, base64 root, each followed by a newline."""
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode('ascii')}\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise MalformedNote("A checkpoint is at least three non-empty lines, each ending in a newline.")
        origin, size, root = lines[:3]
        if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise MalformedNote("A checkpoint's tree size is decimal without leading zeroes.")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise MalformedNote("A checkpoint's root hash is base64.") from None
        return cls(origin, int(size), root_hash)

    def sign(self, key: Ed25519PrivateKey, *, extra: tuple[NoteSignature, ...] = ()) -> SignedNote:
        """The checkpoint signed by the log's key under its origin as key name."""
        return sign_note(self.text(), [(self.origin, key)], extra=extra)


def open_checkpoint(note: str | bytes, *, origin: str, public_key: Ed25519PublicKey) -> tuple[Checkpoint, SignedNote]:
    """Parse a signed checkpoint and check its origin and the log's signature (typed errors)."""
    signed = parse_note(note)
    checkpoint = Checkpoint.from_text(signed.text)
    if checkpoint.origin != origin:
        raise MalformedNote(f"The checkpoint is from {checkpoint.origin!r}, not {origin!r}.")
    if not signed.verified_by(origin, public_key):
        raise MalformedNote("The checkpoint is not signed by the log's key.")
    return checkpoint, signed
