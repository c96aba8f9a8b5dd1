"""Persistence of the OpenID provider: clients, codes, tokens, consents, signing keys.

Secrets never sit in these tables in a usable form: client secrets, codes and tokens are stored as
their SHA-256 (they are 256-bit random values, so a fast hash is enough), and signing private keys
are sealed by the vault under a data key of their own.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base, UTCDateTime


class OidcClient(Base):
    """A relying party (OIDC Registration 1.0 §2 metadata, the subset CivicID supports)."""

    __tablename__ = "oidc_clients"

    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    secret_hash: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    token_endpoint_auth_method: Mapped[str] = mapped_column(sa.String(32))
    redirect_uris: Mapped[str] = mapped_column(sa.Text)  # JSON list, matched exactly
    post_logout_redirect_uris: Mapped[str] = mapped_column(sa.Text)  # JSON list, matched exactly
    sector_identifier: Mapped[str] = mapped_column(sa.String(255))
    jwks: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # public JWKS for private_key_jwt
    #: ES256 (the default) or RS256 (OIDC Registration 1.0 §2)
    id_token_signed_response_alg: Mapped[str] = mapped_column(sa.String(16), default="ES256",
                                                              server_default="ES256")
    #: RFC 9126 §6: authorization requests only through the PAR endpoint
    require_pushed_authorization_requests: Mapped[bool] = mapped_column(sa.Boolean, default=False,
                                                                        server_default=sa.false())
    #: RFC 9449 §5.2: every token request carries a DPoP proof (tokens are always DPoP-bound)
    dpop_bound_access_tokens: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: OpenID Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed (None: no notifications)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    #: §2.2: every logout token for this client carries a ``sid``
    backchannel_logout_session_required: Mapped[bool] = mapped_column(sa.Boolean, default=False,
                                                                      server_default=sa.false())
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OidcAuthorizationCode(Base):
    """A code, single use and short-lived. Kept after use (``used_at``) so that a replay can be
    recognised and the tokens issued from it revoked (RFC 6749 §4.1.2)."""

    __tablename__ = "oidc_authorization_codes"

    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    citizen_id: Mapped[str] = mapped_column(sa.String(36))
    redirect_uri: Mapped[str] = mapped_column(sa.Text)
    scope: Mapped[str] = mapped_column(sa.Text)
    claims: Mapped[str] = mapped_column(sa.Text)  # space-separated claim names the citizen consented to
    nonce: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str] = mapped_column(sa.String(8))
    acr: Mapped[str] = mapped_column(sa.String(64))
    amr: Mapped[str] = mapped_column(sa.String(64))
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the browser session's id at this client, for the ID token (``civicid.oidc.session_id``)
    sid: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    #: RFC 9449 §10: the DPoP key the code may only be redeemed with (``dpop_jkt``)
    dpop_jkt: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # pruned (civicid.maintenance)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # OIDC Core §3.1.2.1: a nonce seen before for the client is a replay
    __table_args__ = (sa.Index("ix_oidc_authorization_codes_client_nonce", "client_id", "nonce"),)


class OidcToken(Base):
    """An access token and, with ``offline_access``, a refresh token. ``grant_id`` is the hash
    of the code the first token came from; every rotated token keeps it, so one replayed code or
    refresh token revokes the whole family."""

    __tablename__ = "oidc_tokens"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    grant_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    citizen_id: Mapped[str] = mapped_column(sa.String(36))
    access_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True, nullable=True)
    scope: Mapped[str] = mapped_column(sa.Text)
    claims: Mapped[str] = mapped_column(sa.Text)
    acr: Mapped[str] = mapped_column(sa.String(64))
    amr: Mapped[str] = mapped_column(sa.String(64))
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # pruned (civicid.maintenance)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: RFC 9449 §6.1: the JWK SHA-256 thumbprint (RFC 7638) of the DPoP key both tokens are bound
    #: to (``cnf.jkt``), or None for a bearer token
    dpop_jkt: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    __table_args__ = (sa.Index("ix_oidc_tokens_citizen_client", "citizen_id", "client_id"),)


class OidcConsent(Base):
    """What a citizen answered on the consent page for one client: the items they were asked
    about and the ones they granted (optional claims left unticked are asked but not granted)."""

    __tablename__ = "oidc_consents"

    citizen_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    asked: Mapped[str] = mapped_column(sa.Text)
    granted: Mapped[str] = mapped_column(sa.Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OidcSigningKey(Base):
    """An ID-token signing key (``alg`` ES256 or RS256). The private key is sealed by the vault (owner
    ``oidc-signing:<kid>``); once retired it is shredded and only the public key stays
    published until ``publish_until``, when the last ID token it signed has expired."""

    __tablename__ = "oidc_signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(sa.String(16))
    public_jwk: Mapped[str] = mapped_column(sa.Text)
    private_key_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    publish_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OidcClientAssertion(Base):
    """``jti`` values of private_key_jwt client assertions already seen (RFC 7523 §3, item 7)."""

    __tablename__ = "oidc_client_assertions"

    jti_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OidcPushedRequest(Base):
    """A pushed authorization request (RFC 9126 §2): the parameters a client posted, found by
    the SHA-256 of its ``request_uri``. Usable at the authorization endpoint until
    ``expires_at``; the first visit (``opened_at``) extends that to the sign-in window, and the
    answer to the client (``done_at``) ends it, so each ``request_uri`` yields at most one code
    (RFC 9126 §4, one-time use)."""

    __tablename__ = "oidc_pushed_requests"

    request_uri_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    params: Mapped[str] = mapped_column(sa.Text)  # JSON list of [name, value] pairs
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # pruned (civicid.maintenance)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OidcDpopProof(Base):
    """``jti`` values of DPoP proofs already accepted (RFC 9449 §11.1), per key, kept until the
    proof would be refused as too old anyway."""

    __tablename__ = "oidc_dpop_proofs"

    jti_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OidcLogoutNotice(Base):
    """An outbox row: one back-channel logout notification (OpenID Back-Channel Logout 1.0) still
    to deliver to ``client_id``. Written in the transaction that ended the citizen's relationship
    with the client, so a crash loses none; the logout token is signed at each delivery attempt
    (fresh ``iat``/``exp``/``jti``). ``sub`` is the client's pairwise subject, never the network id."""

    __tablename__ = "oidc_logout_notices"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    sub: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    sid: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
