"""The ``sid`` claim: which browser session at CivicID an ID token came from (OIDC Front-Channel
Logout 1.0 §3, Back-Channel Logout 1.0 §2.4), so that RP-initiated logout can tell whether an
``id_token_hint`` belongs to the session it would end (RP-Initiated Logout 1.0 §2, §6).

``sid = BASE64URL(HMAC-SHA256(K, SHA-256(session token) || 0x00 || client_id)[:16])`` under a
key used for nothing else. The SHA-256 of the session token is the key of the session's row
(``civicid.identity.sessions``), so the provider can compute a session's sids without the
cookie. A sid is per client: two relying parties cannot join their users through it (DESIGN.md
principle 4), and without K it tells nothing about the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

KEY_PURPOSE = "oidc.session_id"


def session_id(key: bytes, *, session_token: str, client_id: str) -> str:
    return session_id_of_hash(key, session_key=session_key_of(session_token), client_id=client_id)


def session_key_of(session_token: str) -> str:
    """The key of the session's row: the SHA-256 of its token, in hex."""
    return hashlib.sha256(session_token.encode("ascii", "replace")).hexdigest()


def session_id_of_hash(key: bytes, *, session_key: str, client_id: str) -> str:
    """The sid from the session row's key (the SHA-256 of its token), for back-channel logout."""
    if len(key) < 32:
        raise ValueError("the session id key must have at least 256 bits")
    message = f"{session_key}\x00{client_id}".encode("utf-8")
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def same_session(key: bytes, *, sid: object, session_token: str | None, client_id: object) -> bool:
    """Whether ``sid`` (from an ID token) is the sid of ``session_token`` at ``client_id``."""
    if not session_token or not isinstance(sid, str) or not isinstance(client_id, str):
        return False
    return hmac.compare_digest(session_id(key, session_token=session_token, client_id=client_id).encode("ascii"),
                               sid.encode("utf-8", "replace"))
