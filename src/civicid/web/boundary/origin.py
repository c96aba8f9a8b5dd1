"""Cross-site request refusal (login CSRF and friends): a state-changing request is accepted only
from CivicID's own pages, or from a client that is not a browser.

Browsers say where a request comes from in ``Sec-Fetch-Site`` (Fetch Metadata, all current
browsers) and ``Origin`` (on every POST since 2020); a page cannot forge either. Clients without
cookies (a partner's server, a relying party's back end) send neither, and pass. The same
check as Go's ``http.CrossOriginProtection``:

1. ``Sec-Fetch-Site`` present: only ``same-origin`` and ``none`` (the user's own action) pass;
   ``same-site`` does not (a sibling subdomain is another application).
2. Otherwise ``Origin`` present: it must be CivicID's public origin, or name the host the request
   was sent to; ``null`` (sandboxed frames, data: URLs) does not pass.
3. Neither: not a browser; it passes.

Safe methods are not checked. Protocol endpoints that other sites call by design, and that never
read or set the session cookie on such a request (it is SameSite=Lax), are exempt.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from civicid.oidc.discovery import AUTHORIZE_PATH, LOGOUT_PATH, TOKEN_PATH, USERINFO_PATH

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FETCH_SITE_OK = frozenset({b"same-origin", b"none"})

#: (method, path) called cross-site by design: OIDC Core §3.1.2.1 (authorization request by
#: POST), RFC 6749 §3.2 (token), OIDC Core §5.3.1 (userinfo by POST), RP-Initiated Logout 1.0 §2
PROTOCOL_ENDPOINTS = frozenset({("POST", AUTHORIZE_PATH), ("POST", TOKEN_PATH), ("POST", USERINFO_PATH),
                                ("POST", LOGOUT_PATH)})


def origin_of(url: str) -> bytes:
    """The ASCII serialisation of ``url``'s origin (RFC 6454 §6.2), as browsers send it."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme}://{parts.hostname}{port}".encode("ascii")


def is_cross_site(*, fetch_site: bytes | None, origin: bytes | None, host: bytes | None,
                  public_origin: bytes) -> bool:
    if fetch_site is not None:
        return fetch_site.lower() not in _FETCH_SITE_OK
    if origin is None:
        return False
    if origin == public_origin:
        return False
    _, separator, authority = origin.partition(b"://")
    return not (separator and host is not None and authority == host.lower())
