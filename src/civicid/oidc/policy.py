"""Lifetimes of what the provider issues, in one frozen place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OidcPolicy:
    #: RFC 9700 §4.2 wants codes short-lived; the issue asks for 60 s.
    code_ttl_s: int = 60
    access_token_ttl_s: int = 900
    id_token_ttl_s: int = 900
    #: absolute: rotated refresh tokens keep the expiry of the first one of their family
    refresh_token_ttl_s: int = 30 * 24 * 3600
    #: a retired signing key stays in the JWKS this long after the last ID token it signed
    #: expired, for clients whose clocks run behind
    key_publish_margin_s: int = 300
    #: how long a server process keeps signing with the key it opened before looking for a newer
    #: one (below ``key_publish_margin_s``, so tokens it signs after a rotation still verify)
    key_cache_ttl_s: int = 30
    #: how long a server process keeps a registered client it read (clients are only ever added
    #: today; a client disabled in future would keep working this long)
    client_cache_ttl_s: int = 10
    #: private_key_jwt assertions: accepted clock skew (RFC 7523 §3)
    assertion_leeway_s: int = 60
    #: private_key_jwt assertions: the longest life (``exp`` - ``iat``) accepted (RFC 7523 §3
    #: item 4); also how long a seen ``jti`` is kept at most
    assertion_max_lifetime_s: int = 300
    #: RFC 9126 §2.2: how long a pushed request's ``request_uri`` may take to reach the
    #: authorization endpoint (FAPI 2.0 §5.3.2.2 wants under 600 s)
    par_ttl_s: int = 60
    #: from its first visit, how long the citizen has to sign in and consent
    par_signin_window_s: int = 600
    #: RFC 9449 §4.3 item 11 / §11.1: a DPoP proof's ``iat`` may be this old (and this far ahead);
    #: its ``jti`` is remembered this long
    dpop_proof_max_age_s: int = 300
    dpop_leeway_s: int = 5
    #: RFC 9449 §8: a server nonce is valid in its time window and the next one
    dpop_nonce_window_s: int = 300
