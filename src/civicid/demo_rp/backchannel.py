"""The demo forum's back-channel logout receiver (OpenID Back-Channel Logout 1.0 §2.6, §2.8).

A logout token is accepted only if it is a JWT signed by a key in CivicID's JWKS (fetched again
once for an unknown key), typed ``logout+jwt`` if typed at all, with this forum's client id in
``aud``, CivicID as ``iss``, ``iat`` and an unexpired ``exp``, the back-channel logout event,
``sub`` and/or ``sid``, no ``nonce``, and a ``jti`` not seen before. Then the forum's sessions
signed in with that ``sid`` (or, without one, that ``sub``) end.
"""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ALGORITHMS = ["ES256", "RS256"]
LEEWAY_S = 60
MAX_AGE_S = 600  # an older iat is refused (and its jti needs keeping no longer)

JwksSource = Callable[[bool], Awaitable[dict[str, Any]]]


class InvalidLogoutToken(Exception):
    pass


class SeenJtis:
    """jti values already accepted, kept until they would be refused as too old anyway."""

    def __init__(self, *, now: Callable[[], float] = time.time, max_entries: int = 100_000) -> None:
        self._now, self._max = now, max_entries
        self._seen: dict[str, float] = {}

    def first_use(self, key: str, until: float) -> bool:
        now = self._now()
        if len(self._seen) >= self._max:
            self._seen = {k: t for k, t in self._seen.items() if t > now}
        if self._seen.get(key, 0) > now:
            return False
        self._seen[key] = until
        return True


async def validate(token: object, *, issuer: str, client_id: str, jwks: JwksSource, seen: SeenJtis,
                   now: Callable[[], float] = time.time) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > 8192:
        raise InvalidLogoutToken("logout_token is missing")
    decoded = None
    for force in (False, True):  # an unknown kid: the keys may have been rotated
        try:
            decoded = jwt.decode(token, KeySet.import_key_set(await jwks(force)), algorithms=ALGORITHMS)
            break
        except (JoseError, ValueError, TypeError, KeyError):
            continue
    if decoded is None:
        raise InvalidLogoutToken("the logout token's signature cannot be verified")
    typ = decoded.header.get("typ")
    if typ is not None and str(typ).lower() not in ("logout+jwt", "application/logout+jwt"):
        raise InvalidLogoutToken("not a logout token (typ)")
    claims = decoded.claims
    current = now()
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if claims.get("iss") != issuer.rstrip("/"):
        raise InvalidLogoutToken("wrong issuer")
    if client_id not in audiences:
        raise InvalidLogoutToken("not for this client")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        raise InvalidLogoutToken("iat and exp are required")
    if exp + LEEWAY_S < current or iat - LEEWAY_S > current or iat + MAX_AGE_S < current:
        raise InvalidLogoutToken("expired or not yet valid")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise InvalidLogoutToken("no back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token has no nonce")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not (isinstance(sub, str) and sub) and not (isinstance(sid, str) and sid):
        raise InvalidLogoutToken("sub or sid is required")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidLogoutToken("jti is required")
    if not seen.first_use(f"{claims['iss']}\x00{jti}", float(max(exp, iat + MAX_AGE_S) + LEEWAY_S)):
        raise InvalidLogoutToken("this logout token was already used")
    return claims


def matches(data: dict[str, Any], claims: dict[str, Any]) -> bool:
    """Whether a forum session was signed in by the session or subject the token names."""
    received = (data.get("received") or {}).get("id_token") or {}
    if received.get("iss") != claims.get("iss"):
        return False
    if claims.get("sid"):
        return received.get("sid") == claims["sid"] and (not claims.get("sub") or received.get("sub") == claims["sub"])
    return received.get("sub") == claims.get("sub")
