"""A witness for the log (C2SP tlog-witness, https://c2sp.org/tlog-witness): it remembers the
last checkpoint it cosigned and cosigns a newer one only if a consistency proof shows the newer
tree extends it, so a log that shows two histories to two groups of people is caught by whoever
holds the witness's cosignature.

Cosignatures are C2SP tlog-cosignature v1 Ed25519 cosignatures (https://c2sp.org/tlog-cosignature):
a note signature line under the witness's name whose key ID is
``SHA-256(name || 0x0A || 0x04 || public key)[:4]`` and whose signature is a big-endian uint64
POSIX time followed by the Ed25519 signature of::

    cosignature/v1
    time <that time>
    <the checkpoint's note text>
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicid.audit.checkpoint import Checkpoint, open_checkpoint
from civicid.audit.errors import AuditError
from civicid.audit.log_keys import raw_public_key
from civicid.audit.note import MalformedNote, NoteSignature, SignedNote, check_key_name
from civicid.audit.proofs import verify_consistency

COSIGNATURE_TYPE = 0x04
COSIGNATURE_HEADER = b"cosignature/v1\n"


class WitnessRefused(AuditError):
    """The witness will not cosign: the checkpoint is older than, or forks from, the one it holds."""

    code = "audit.witness_refused"
    status = 409
    default_message = "The witness refuses to cosign a checkpoint inconsistent with the one it saw."


def cosigner_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    material = check_key_name(name).encode("utf-8") + b"\n" + bytes([COSIGNATURE_TYPE]) + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def cosigner_vkey(name: str, public_key: Ed25519PublicKey) -> str:
    """``<name>+<hex key ID>+base64(0x04 || key)`` (tlog-cosignature, "Format")."""
    encoded = base64.b64encode(bytes([COSIGNATURE_TYPE]) + raw_public_key(public_key)).decode("ascii")
    return f"{name}+{cosigner_key_id(name, public_key).hex()}+{encoded}"


def parse_cosigner_vkey(vkey: str) -> tuple[str, Ed25519PublicKey]:
    parts = vkey.strip().split("+", 2)  # the base64 key may itself hold "+" (Go: two cuts)
    if len(parts) != 3:
        raise MalformedNote("A cosigner key is <name>+<hex key ID>+<base64 key>.")
    try:
        material = base64.b64decode(parts[2], validate=True)
        key = Ed25519PublicKey.from_public_bytes(material[1:])
    except (binascii.Error, ValueError):
        raise MalformedNote("The cosigner key is not base64 of 0x04 and 32 bytes.") from None
    if material[:1] != bytes([COSIGNATURE_TYPE]) or cosigner_key_id(parts[0], key).hex() != parts[1].lower():
        raise MalformedNote("The cosigner key's type or key ID does not match its name and key.")
    return parts[0], key


def cosignature_message(text: str, timestamp: int) -> bytes:
    return COSIGNATURE_HEADER + f"time {timestamp}\n".encode("ascii") + text.encode("utf-8")


def cosign(text: str, *, name: str, key: Ed25519PrivateKey, timestamp: int) -> NoteSignature:
    """The witness's cosignature line of a checkpoint's note text."""
    if not 0 <= timestamp < 1 << 63:
        raise ValueError("a cosignature time is below 2**63")
    signature = key.sign(cosignature_message(text, timestamp))
    return NoteSignature(name, cosigner_key_id(name, key.public_key()), struct.pack(">Q", timestamp) + signature)


def cosigned_at(note: SignedNote, *, name: str, public_key: Ed25519PublicKey) -> int | None:
    """The time of the witness's valid cosignature on ``note``, or None if it has none."""
    wanted = cosigner_key_id(name, public_key)
    for sig in note.signatures:
        if sig.name != name or sig.key_id != wanted or len(sig.signature) != 8 + 64:
            continue
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        try:
            public_key.verify(sig.signature[8:], cosignature_message(note.text, timestamp))
        except InvalidSignature:
            return None
        return timestamp
    return None


@dataclass(frozen=True, slots=True)
class WitnessState:
    """The last checkpoint the witness cosigned for one log."""

    origin: str
    tree_size: int
    root_hash: bytes

    def dumps(self) -> str:
        return json.dumps({"origin": self.origin, "tree_size": self.tree_size,
                           "root_hash": base64.b64encode(self.root_hash).decode("ascii")}, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> WitnessState | None:
        if not path.exists():
            return None
        try:
            obj = json.loads(path.read_text())
            return cls(obj["origin"], int(obj["tree_size"]), base64.b64decode(obj["root_hash"], validate=True))
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise MalformedNote(f"{path} is not a witness state file.") from None

    def save(self, path: Path) -> None:
        """Written to a temporary file and renamed, so a crash never leaves half a state."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.dumps())
        tmp.replace(path)


@dataclass(frozen=True, slots=True)
class Witnessed:
    state: WitnessState
    cosignature: NoteSignature
    note: SignedNote
    """The checkpoint with the witness's cosignature added."""


def witness_checkpoint(
    note: str | bytes,
    *,
    origin: str,
    log_key: Ed25519PublicKey,
    state: WitnessState | None,
    consistency_path: Sequence[bytes],
    name: str,
    key: Ed25519PrivateKey,
    timestamp: int,
) -> Witnessed:
    """Cosign ``note`` if the log signed it and it is consistent with ``state`` (tlog-witness,
    "add-checkpoint": a smaller tree, or the same size with another root, or a proof that does
    not verify, is refused). Without a state the first checkpoint is trusted as seen."""
    checkpoint, signed = open_checkpoint(note, origin=origin, public_key=log_key)
    if state is not None:
        _require_consistent(state, checkpoint, consistency_path)
    cosignature = cosign(signed.text, name=name, key=key, timestamp=timestamp)
    others = tuple(s for s in signed.signatures if s.name != name)
    return Witnessed(WitnessState(origin, checkpoint.tree_size, checkpoint.root_hash), cosignature,
                     SignedNote(signed.text, (*others, cosignature)))


def _require_consistent(state: WitnessState, checkpoint: Checkpoint, path: Sequence[bytes]) -> None:
    if state.origin != checkpoint.origin:
        raise WitnessRefused(f"This witness state is for {state.origin!r}, not {checkpoint.origin!r}.")
    if checkpoint.tree_size < state.tree_size:
        raise WitnessRefused(f"The checkpoint ({checkpoint.tree_size}) is older than the one cosigned "
                             f"({state.tree_size}).")
    if not verify_consistency(state.tree_size, checkpoint.tree_size, state.root_hash, checkpoint.root_hash, path):
        raise WitnessRefused(f"The tree of size {checkpoint.tree_size} is not consistent with the tree of size "
                             f"{state.tree_size} this witness cosigned: the log forked.")
