"""Anti-CSRF tokens for the consent and logout forms, bound to the browser's sign-in session.

``HMAC-SHA256(K, SHA-256(session token) || purpose || payload)``: stateless, and useless to
anyone who cannot read the HttpOnly session cookie. Binding the authorization request itself
(``payload``) means a token for one request cannot approve another.
"""

from __future__ import annotations

import hashlib
import hmac

KEY_PURPOSE = "oidc.form_csrf"


def csrf_token(key: bytes, *, session_token: str, purpose: str, payload: str = "") -> str:
    message = b"\x00".join((hashlib.sha256(session_token.encode("utf-8")).digest(), purpose.encode("utf-8"),
                            payload.encode("utf-8")))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, token: str | None, *, session_token: str | None, purpose: str, payload: str = "") -> bool:
    if not token or not session_token:
        return False
    expected = csrf_token(key, session_token=session_token, purpose=purpose, payload=payload)
    return hmac.compare_digest(expected, token)
