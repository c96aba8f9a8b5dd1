"""The narrow storage hooks of the provider, in one Protocol.

Authlib's grants ask for a handful of operations (``query_client``, ``save_authorization_code``,
``query_authorization_code``, ``authenticate_refresh_token``...); every one of them lands on
exactly one method here. ``SqlOidcStore`` implements it over the ``oidc_*`` tables; a test or
another backend can supply its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from civicid.oidc.views import CitizenFacts, ClientView, CodeView, ConsentView, PushedRequest, TokenView


class OidcStore(Protocol):
    def client(self, client_id: str) -> ClientView | None:
        """An active client, or None."""

    def save_code(self, *, code_hash: str, client_id: str, citizen_id: str, redirect_uri: str, scope: str,
                  claims: Sequence[str], nonce: str | None, code_challenge: str, code_challenge_method: str,
                  acr: str, amr: Sequence[str], auth_time: datetime, expires_at: datetime,
                  sid: str | None = None, dpop_jkt: str | None = None) -> None: ...

    def claim_code(self, code_hash: str, *, client_id: str, now: datetime) -> CodeView | None:
        """Mark the code used and return it, atomically. None if unknown, issued to another
        client or expired; a code already used is a replay: revoke its grant, return None."""

    def nonce_seen(self, client_id: str, nonce: str) -> bool: ...

    def save_token(self, *, grant_id: str, client_id: str, citizen_id: str, access_token_hash: str,
                   refresh_token_hash: str | None, scope: str, claims: Sequence[str], acr: str,
                   amr: Sequence[str], auth_time: datetime, issued_at: datetime, expires_at: datetime,
                   refresh_expires_at: datetime | None, dpop_jkt: str | None = None) -> None: ...

    def access_token(self, token_hash: str, *, now: datetime) -> TokenView | None: ...

    def refresh_token(self, token_hash: str, *, now: datetime) -> TokenView | None:
        """A live refresh token. Presenting a revoked one is reuse (RFC 9700 §4.14.2): revoke its
        grant and return None."""

    def revoke_token(self, token_id: str, *, now: datetime) -> bool:
        """Revoke one token; False if it was already revoked (a concurrent use)."""

    def revoke_grant(self, grant_id: str, *, now: datetime) -> int: ...

    def consent(self, citizen_id: str, client_id: str) -> ConsentView | None: ...

    def consents(self, citizen_id: str) -> list[ConsentView]: ...

    def save_consent(self, citizen_id: str, client_id: str, *, asked: Sequence[str], granted: Sequence[str],
                     now: datetime) -> ConsentView: ...

    def revoke_consent(self, citizen_id: str, client_id: str, *, now: datetime) -> bool:
        """Forget the consent and revoke every token the client holds for the citizen."""

    def use_jti(self, client_id: str, jti: str, *, expires_at: datetime, now: datetime) -> bool:
        """Remember a client assertion's ``jti``; False if it was seen before."""

    def push_request(self, request_uri_hash: str, *, client_id: str, params: Sequence[tuple[str, str]],
                     expires_at: datetime) -> None:
        """Keep a pushed authorization request (RFC 9126 §2.2)."""

    def open_pushed_request(self, request_uri_hash: str, *, client_id: str, now: datetime,
                            window_s: int) -> PushedRequest | None:
        """The client's live, unanswered pushed request; its first visit starts the sign-in window."""

    def finish_pushed_request(self, request_uri_hash: str, *, now: datetime) -> bool:
        """Mark it answered (one-time use, RFC 9126 §4); False if it already was."""

    def use_dpop_jti(self, jkt: str, jti: str, *, expires_at: datetime) -> bool:
        """Remember a DPoP proof's ``jti`` (RFC 9449 §11.1); False if it was seen before."""

    def citizen(self, citizen_id: str, *, with_profile: bool) -> CitizenFacts | None: ...
