"""Pairwise subject identifiers (OIDC Core 1.0 §8.1).

``sub = BASE64URL(HMAC-SHA256(K, len(sector) || sector || citizen_id))`` under a key used for
nothing else. Without K, two relying parties of different sectors cannot tell whether their
``sub`` values belong to the same person, and neither can compute the network id or the
internal id from them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Iterable
from urllib.parse import urlsplit

KEY_PURPOSE = "oidc.pairwise_subject"


def pairwise_subject(key: bytes, *, sector: str, citizen_id: str) -> str:
    if len(key) < 32:
        raise ValueError("the pairwise subject key must have at least 256 bits")
    sector_bytes = sector.encode("utf-8")
    message = len(sector_bytes).to_bytes(2, "big") + sector_bytes + citizen_id.encode("utf-8")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sector_of(redirect_uris: Iterable[str], sector_identifier: str | None = None) -> str | None:
    """The sector a client's subjects are computed for (OIDC Core §8.1): the given sector
    identifier (a host name, or the host of a sector_identifier_uri), otherwise the host of the
    redirect URIs. None when the redirect URIs span several hosts and no sector was given."""
    if sector_identifier and sector_identifier.strip():
        value = sector_identifier.strip()
        host = urlsplit(value).hostname if "://" in value else None
        return (host or value).lower()
    hosts = {(urlsplit(uri).hostname or "").lower() for uri in redirect_uris}
    if len(hosts) != 1 or "" in hosts:
        return None
    return hosts.pop()
