"""Registering relying parties (the subset of OIDC Registration 1.0 §2 CivicID uses).

Redirect URIs are stored and later compared exactly (RFC 9700 §4.1.3). They must be https,
except on the loopback host for development (RFC 8252 §7.3). A client authenticates with
``client_secret_basic`` (a 256-bit secret shown once, stored as its SHA-256) or
``private_key_jwt`` (public keys registered as a JWKS, no secret at all). Its ID tokens are
signed with ES256 unless it registers ``id_token_signed_response_alg=RS256`` (§2 there).

A FAPI 2.0 Security Profile client (``fapi=True``) must use ``private_key_jwt`` and gets
``require_pushed_authorization_requests`` (RFC 9126 §6) and ``dpop_bound_access_tokens``
(RFC 9449 §5.2); each of the two can also be chosen alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from civicid.oidc.discovery import CLIENT_AUTH_METHODS, ID_TOKEN_ALG, ID_TOKEN_ALGS
from civicid.oidc.errors import ClientInvalid
from civicid.oidc.models import OidcClient
from civicid.oidc.pairwise import sector_of
from civicid.partners.credentials import hash_secret, new_client_id, new_secret
from civicid.runtime import Runtime

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URIS = 20
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})


@dataclass(frozen=True, slots=True)
class ClientInfo:
    client_id: str
    name: str
    token_endpoint_auth_method: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    sector: str
    active: bool
    created_at: datetime
    id_token_signed_response_alg: str = ID_TOKEN_ALG
    require_pushed_authorization_requests: bool = False
    dpop_bound_access_tokens: bool = False
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False


def register_client(session: Session, runtime: Runtime, *, name: str, redirect_uris: Sequence[str],
                    sector_identifier: str | None = None, token_endpoint_auth_method: str = "client_secret_basic",
                    jwks: dict[str, Any] | None = None, post_logout_redirect_uris: Sequence[str] = (),
                    id_token_signed_response_alg: str = ID_TOKEN_ALG, fapi: bool = False,
                    require_pushed_authorization_requests: bool = False,
                    dpop_bound_access_tokens: bool = False, backchannel_logout_uri: str | None = None,
                    backchannel_logout_session_required: bool = False) -> tuple[str, str | None]:
    """Register a relying party; returns ``(client_id, client_secret)``. The secret (None for
    ``private_key_jwt``) is returned this once and only its hash is stored. ``fapi``: FAPI 2.0
    Security Profile §5.3.2.1 (private_key_jwt only), §5.3.2.2 (PAR), §5.3.2.1 item 3 (DPoP)."""
    if fapi:
        if token_endpoint_auth_method != "private_key_jwt":
            raise ClientInvalid("A FAPI 2.0 client authenticates with private_key_jwt.",
                                field="token_endpoint_auth_method")
        require_pushed_authorization_requests = dpop_bound_access_tokens = True
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise ClientInvalid("A client name has 1 to 200 characters.", field="name")
    redirects = _check_uris(redirect_uris, "redirect_uris", required=True)
    logouts = _check_uris(post_logout_redirect_uris, "post_logout_redirect_uris", required=False)
    backchannel = _check_backchannel_uri(backchannel_logout_uri)
    sector = sector_of(redirects, sector_identifier)
    if not sector:
        raise ClientInvalid("Redirect URIs on several hosts need a sector identifier (OIDC Core §8.1).",
                            field="sector_identifier")
    if token_endpoint_auth_method not in CLIENT_AUTH_METHODS:
        raise ClientInvalid(f"token_endpoint_auth_method must be one of {', '.join(CLIENT_AUTH_METHODS)}.",
                            field="token_endpoint_auth_method")
    if id_token_signed_response_alg not in ID_TOKEN_ALGS:
        raise ClientInvalid(f"id_token_signed_response_alg must be one of {', '.join(ID_TOKEN_ALGS)}.",
                            field="id_token_signed_response_alg")
    secret: str | None = None
    public_jwks: str | None = None
    if token_endpoint_auth_method == "private_key_jwt":
        public_jwks = json.dumps(_check_jwks(jwks), sort_keys=True)
    else:
        if jwks is not None:
            raise ClientInvalid("A JWKS is only used with private_key_jwt.", field="jwks")
        secret = new_secret()
    client_id = new_client_id("rp")
    session.add(OidcClient(
        client_id=client_id, name=name, secret_hash=hash_secret(secret) if secret else None,
        token_endpoint_auth_method=token_endpoint_auth_method, redirect_uris=json.dumps(list(redirects)),
        post_logout_redirect_uris=json.dumps(list(logouts)), sector_identifier=sector, jwks=public_jwks,
        id_token_signed_response_alg=id_token_signed_response_alg, active=True, created_at=runtime.clock.now(),
        require_pushed_authorization_requests=require_pushed_authorization_requests,
        dpop_bound_access_tokens=dpop_bound_access_tokens, backchannel_logout_uri=backchannel,
        backchannel_logout_session_required=bool(backchannel_logout_session_required),
    ))
    session.flush()
    return client_id, secret


def list_clients(session: Session) -> list[ClientInfo]:
    rows = session.scalars(sa.select(OidcClient).order_by(OidcClient.created_at, OidcClient.client_id)).all()
    return [ClientInfo(row.client_id, row.name, row.token_endpoint_auth_method, tuple(json.loads(row.redirect_uris)),
                       tuple(json.loads(row.post_logout_redirect_uris)), row.sector_identifier, row.active,
                       row.created_at, row.id_token_signed_response_alg, row.require_pushed_authorization_requests,
                       row.dpop_bound_access_tokens, row.backchannel_logout_uri,
                       bool(row.backchannel_logout_session_required)) for row in rows]


def _check_uris(uris: Sequence[str], field: str, *, required: bool) -> tuple[str, ...]:
    if isinstance(uris, str):
        uris = (uris,)
    cleaned = tuple(dict.fromkeys(u.strip() for u in uris if u and u.strip()))
    if required and not cleaned:
        raise ClientInvalid("At least one redirect URI is required.", field=field)
    if len(cleaned) > MAX_URIS:
        raise ClientInvalid(f"At most {MAX_URIS} URIs.", field=field)
    for uri in cleaned:
        try:
            parts = urlsplit(uri)
            host = parts.hostname
        except ValueError:
            host = None
        if not host or len(uri) > 2000:
            raise ClientInvalid(f"{uri!r} is not an absolute URL.", field=field)
        if parts.fragment or "#" in uri:
            raise ClientInvalid("Redirect URIs must not have a fragment (RFC 6749 §3.1.2).", field=field)
        if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK_HOSTS):
            raise ClientInvalid(f"{uri!r} must use https (http only on localhost).", field=field)
    return cleaned


def _check_backchannel_uri(uri: str | None) -> str | None:
    """Back-Channel Logout 1.0 §2.2: an absolute http(s) URI without a fragment (https except on
    the loopback host); CivicID posts logout tokens to it and nowhere else."""
    if uri is None or not uri.strip():
        return None
    (checked,) = _check_uris([uri], "backchannel_logout_uri", required=True)
    return checked


def _check_jwks(jwks: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise ClientInvalid("private_key_jwt needs a JWKS with at least one public key.", field="jwks")
    for key in jwks["keys"]:
        if not isinstance(key, dict) or _PRIVATE_JWK_MEMBERS & set(key):
            raise ClientInvalid("The JWKS must hold public keys only.", field="jwks")
    try:
        KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ClientInvalid(f"The JWKS cannot be read: {error}.", field="jwks") from None
    return jwks
