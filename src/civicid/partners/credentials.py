"""Partner client credentials: shown once, stored as a hash.

The secret is 256 random bits, so a single SHA-256 is as strong as a slow password hash would be
(there is nothing to guess) and keeps authentication cheap on every API call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_client_id(prefix: str = "prt") -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return "sha256$" + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored)
