"""A software WebAuthn authenticator and client for tests and the bench (not for production).

It plays both the browser (clientDataJSON, WebAuthn Level 3 §5.8.1) and a discoverable-credential
authenticator with an ES256 key (authenticatorData §6.1, "none" attestation §8.7, assertion
signature §6.3.3), and returns the JSON that ``PublicKeyCredential.toJSON()`` gives a page.
Everything that a relying party must check can be set wrong on purpose: origin, challenge, the
UP/UV flags, the RP id and the signature counter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40

COSE_ES256 = -7
AAGUID = bytes.fromhex("c1c1d1d1000040008000000000000001")  # made up: "software authenticator for tests"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey = field(repr=False)
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: COSE_ES256, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})


class SoftAuthenticator:
    """``create`` and ``get`` take the ``publicKey`` options JSON the relying party sent.

    ``counter_step=0`` models the many platform authenticators that always report 0.
    """

    def __init__(self, *, origin: str, backup_eligible: bool = True, counter_step: int = 1,
                 random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self.origin = origin
        self.backup_eligible = backup_eligible
        self.counter_step = counter_step
        self._random = random_bytes
        self.credentials: list[SoftCredential] = []

    # --- navigator.credentials.create ----------------------------------------------------------
    def create(self, options: dict[str, Any], *, origin: str | None = None, challenge: str | None = None,
               user_present: bool = True, user_verified: bool = True, rp_id: str | None = None) -> dict[str, Any]:
        rp = rp_id or options["rp"]["id"]
        credential = SoftCredential(credential_id=self._random(32), key=ec.generate_private_key(ec.SECP256R1()),
                                    rp_id=options["rp"]["id"], user_handle=unb64url(options["user"]["id"]))
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attested = (AAGUID + struct.pack(">H", len(credential.credential_id)) + credential.credential_id
                    + credential.cose_public_key())
        auth_data = (self._rp_hash_and_flags(rp, user_present, user_verified, FLAG_AT)
                     + struct.pack(">I", credential.sign_count) + attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials.append(credential)
        return {
            "id": b64url(credential.credential_id), "rawId": b64url(credential.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": ["internal"]},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }

    # --- navigator.credentials.get -------------------------------------------------------------
    def get(self, options: dict[str, Any], *, origin: str | None = None, challenge: str | None = None,
            user_present: bool = True, user_verified: bool = True, credential: SoftCredential | None = None,
            sign_count: int | None = None, user_handle: bytes | None = None) -> dict[str, Any]:
        """An assertion from ``credential`` (default: the newest discoverable one for the RP id)."""
        credential = credential or self._discoverable(options["rpId"], options.get("allowCredentials") or [])
        if sign_count is None:
            credential.sign_count += self.counter_step
            sign_count = credential.sign_count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = (self._rp_hash_and_flags(credential.rp_id, user_present, user_verified, 0)
                     + struct.pack(">I", sign_count))
        signature = credential.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential.credential_id), "rawId": b64url(credential.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature),
                         "userHandle": b64url(credential.user_handle if user_handle is None else user_handle)},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }

    def _discoverable(self, rp_id: str, allowed: list[dict[str, Any]]) -> SoftCredential:
        allowed_ids = {unb64url(item["id"]) for item in allowed}
        for credential in reversed(self.credentials):
            if credential.rp_id == rp_id and (not allowed_ids or credential.credential_id in allowed_ids):
                return credential
        raise LookupError(f"no credential for {rp_id!r}")

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def _rp_hash_and_flags(self, rp_id: str, user_present: bool, user_verified: bool, extra: int) -> bytes:
        flags = extra
        flags |= FLAG_UP if user_present else 0
        flags |= FLAG_UV if user_verified else 0
        flags |= (FLAG_BE | FLAG_BS) if self.backup_eligible else 0
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
