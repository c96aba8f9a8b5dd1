"""Read-only views of stored rows, in the shapes Authlib's mixins ask for.

Frozen dataclasses built by the storage hooks (``storage.py``) for one request: Authlib reads
them, nothing writes through them. Times that depend on "now" are decided when the view is made,
with the injected clock.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin

from civicid.oidc.claims import OPENID, requested_scopes
from civicid.oidc.discovery import ID_TOKEN_ALG
from civicid.partners.credentials import hash_secret

GRANT_TYPES = ("authorization_code", "refresh_token")


@dataclass(frozen=True, slots=True)
class ClientView(ClientMixin):
    client_id: str
    name: str
    token_endpoint_auth_method: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    sector: str
    secret_hash: str | None = field(default=None, repr=False)
    jwks: dict[str, Any] | None = field(default=None, repr=False)
    id_token_signed_response_alg: str = ID_TOKEN_ALG
    #: RFC 9126 §6
    require_pushed_authorization_requests: bool = False
    #: RFC 9449 §5.2
    dpop_bound_access_tokens: bool = False

    @property
    def fapi(self) -> bool:
        """A FAPI 2.0 Security Profile client: PAR and DPoP always (private_key_jwt is enforced
        at registration)."""
        return self.require_pushed_authorization_requests and self.dpop_bound_access_tokens

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # OIDC Core §3.1.2.1: redirect_uri is REQUIRED, so there is no default to fall back on.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        scopes = requested_scopes(scope)
        return " ".join(scopes) if OPENID in scopes else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact string comparison (RFC 9700 §4.1.3): no prefixes, no patterns."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.secret_hash:
            return False
        return hmac.compare_digest(hash_secret(client_secret), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint in ("token", "pushed_authorization") and method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


@dataclass(frozen=True, slots=True)
class CodeView(AuthorizationCodeMixin):
    code_hash: str
    client_id: str
    citizen_id: str
    redirect_uri: str
    scope: str
    claims: tuple[str, ...]
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    acr: str
    amr: tuple[str, ...]
    auth_time: datetime
    sid: str | None = None
    #: RFC 9449 §10
    dpop_jkt: str | None = None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return list(self.amr)


@dataclass(frozen=True, slots=True)
class TokenView(TokenMixin):
    id: str
    grant_id: str
    client_id: str
    citizen_id: str
    scope: str
    claims: tuple[str, ...]
    acr: str
    amr: tuple[str, ...]
    auth_time: datetime
    expires_in: int
    refresh_expires_at: datetime | None
    revoked: bool
    expired: bool
    #: RFC 9449 §6.1 ``cnf.jkt``: the DPoP key the token is bound to, None for a bearer token
    dpop_jkt: str | None = None

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.expired

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str:
        return self.citizen_id

    def get_client(self) -> None:  # not needed: userinfo is served by CivicID's own route
        return None


@dataclass(frozen=True, slots=True)
class Grantee:
    """Authlib's "user": who is signing in at which client, how, and which claims they released."""

    citizen_id: str
    client_id: str
    sector: str
    claims: tuple[str, ...]
    acr: str
    amr: tuple[str, ...]
    auth_time: datetime
    #: the browser session's ``sid`` at this client (``civicid.oidc.session_id``), when signing in
    sid: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentView:
    citizen_id: str
    client_id: str
    client_name: str
    asked: tuple[str, ...]
    granted: tuple[str, ...]
    granted_at: datetime

    def covers(self, items: tuple[str, ...]) -> bool:
        """Whether the citizen already answered for every item (OIDC Core §3.1.2.4)."""
        return set(items) <= set(self.asked)


@dataclass(frozen=True, slots=True)
class CitizenFacts:
    """What the claims are computed from; personal fields only when asked for."""

    citizen_id: str
    verified: bool
    name: str | None = field(default=None, repr=False)
    birth_date: Any = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class PushedRequest:
    """A pushed authorization request found by its ``request_uri`` (RFC 9126 §2.2)."""

    client_id: str
    params: tuple[tuple[str, str], ...]
    #: when the browser first brought it to the authorization endpoint
    opened_at: datetime
