"""Signed notes (C2SP signed-note, https://c2sp.org/signed-note) with Ed25519 keys.

A signed note is a UTF-8 text ending in a newline, a blank line, then one line per signature::

    — <key name> base64(uint32 key ID || Ed25519 signature over the text)

The key ID is the first four bytes of ``SHA-256(key name || 0x0A || 0x01 || public key)``
(signed-note, "Ed25519 signatures"), and a verifier is configured with the *verifier key*
``<key name>+<hex key ID>+base64(0x01 || public key)``. The log's checkpoints
(:mod:`civicid.audit.checkpoint`) are signed notes.

The log's Ed25519 key also signs CivicID's RFC 9162 tree heads; the two never collide: those
messages start with ``civicid.audit.sth.v1`` and a NUL byte, which no note text may contain.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicid.audit.errors import AuditError
from civicid.audit.log_keys import raw_public_key

ED25519_TYPE = 0x01
"""Signature type identifier of plain Ed25519 note signatures (signed-note, "Signature types")."""
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 32
_BAD_NAME = re.compile(r"[\s+]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class MalformedNote(AuditError):
    code = "audit.malformed_note"
    default_message = "The signed note could not be parsed."


def check_key_name(name: str) -> str:
    """Key names are non-empty, without Unicode spaces or ``+`` (signed-note, "Format")."""
    if not name or _BAD_NAME.search(name) or _CONTROL.search(name):
        raise MalformedNote(f"{name!r} is not a valid note key name (non-empty, no spaces, no '+').")
    return name


def key_id(name: str, public_key: Ed25519PublicKey, *, signature_type: int = ED25519_TYPE) -> bytes:
    """``SHA-256(name || 0x0A || type || public key)[:4]`` (signed-note, "Signatures")."""
    check_key_name(name)
    material = name.encode("utf-8") + b"\n" + bytes([signature_type]) + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The vkey ``<name>+<hex key ID>+base64(0x01 || public key)`` (signed-note, "Verifier keys")."""
    encoded = base64.b64encode(bytes([ED25519_TYPE]) + raw_public_key(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """The name and Ed25519 key of a vkey; its key ID must be the one the name and key give."""
    parts = vkey.strip().split("+", 2)  # the base64 key may itself hold "+" (Go: two cuts)
    if len(parts) != 3:
        raise MalformedNote("A verifier key is <name>+<hex key ID>+<base64 key>.")
    name, hex_id, encoded = parts
    try:
        material = base64.b64decode(encoded, validate=True)
        key = Ed25519PublicKey.from_public_bytes(material[1:])
    except (binascii.Error, ValueError):
        raise MalformedNote("The verifier key's key is not base64 of 0x01 and 32 bytes.") from None
    if material[:1] != bytes([ED25519_TYPE]):
        raise MalformedNote("Only Ed25519 (type 0x01) verifier keys are supported.")
    if key_id(name, key).hex() != hex_id.lower():
        raise MalformedNote("The verifier key's key ID does not match its name and key.")
    return name, key


@dataclass(frozen=True, slots=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(self.key_id + self.signature).decode('ascii')}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: str
    """Including its final newline."""
    signatures: tuple[NoteSignature, ...]

    def dumps(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)

    def verified_by(self, name: str, public_key: Ed25519PublicKey) -> bool:
        """True iff a signature line carries this key's name and ID and verifies; False if none does.

        A line with the key's name and ID that fails makes the answer False (signed-note: "If a
        signature from a known key fails to verify, clients SHOULD reject the whole note")."""
        wanted = key_id(name, public_key)
        found = False
        for sig in self.signatures:
            if sig.name != name or sig.key_id != wanted:
                continue
            try:
                public_key.verify(sig.signature, self.text.encode("utf-8"))
            except InvalidSignature:
                return False
            found = True
        return found


def sign_note(text: str, signers: Sequence[tuple[str, Ed25519PrivateKey]], *,
              extra: Sequence[NoteSignature] = ()) -> SignedNote:
    """Sign ``text`` (which must end in a newline) with each ``(key name, key)``; ``extra``
    signature lines (e.g. witnesses' cosignatures) follow."""
    _check_text(text)
    message = text.encode("utf-8")
    signatures = [NoteSignature(check_key_name(name), key_id(name, key.public_key()), key.sign(message))
                  for name, key in signers]
    return SignedNote(text, (*signatures, *extra))


def parse_note(note: str | bytes) -> SignedNote:
    """Split a signed note into its text and signature lines (verifies nothing)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNote("A signed note is UTF-8.") from None
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise MalformedNote("A signed note is a text, a blank line and signature lines, each ending in a newline.")
    text, lines = note[: split + 1], note[split + 2 :].splitlines(keepends=True)
    _check_text(text)
    if not lines or len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"A signed note has between 1 and {MAX_SIGNATURES} signature lines.")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX) or not line.endswith("\n"):
            raise MalformedNote("A signature line is an em dash, a space, the key name, a space and base64.")
        name, _, encoded = line[len(SIGNATURE_PREFIX) : -1].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise MalformedNote("A note signature is not base64.") from None
        if len(raw) < 5:
            raise MalformedNote("A note signature is a 4-byte key ID and a signature.")
        signatures.append(NoteSignature(check_key_name(name), raw[:4], raw[4:]))
    return SignedNote(text, tuple(signatures))


def _check_text(text: str) -> None:
    if not text.endswith("\n") or _CONTROL.search(text):
        raise MalformedNote("A note text ends in a newline and holds no control characters but newlines.")
