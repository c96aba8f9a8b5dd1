"""The Authlib ``AuthorizationServer`` of CivicID, assembled for one unit of work.

It is cheap to build (a few registrations), so each request gets one bound to its own database
session; nothing is shared between requests or threads.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Callable

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError, UnsupportedResponseTypeError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oidc.rpinitiated import EndSessionEndpoint

from civicid.clock import Clock
from civicid.identity.errors import CitizenNotFound
from civicid.oidc.claims import OFFLINE_ACCESS, claim_values, needs_profile
from civicid.oidc.discovery import ID_TOKEN_ALGS
from civicid.oidc.disclosures import Disclosures
from civicid.oidc.dpop import InvalidDpopProofError
from civicid.oidc.grants import (AuthorizationCodeGrant, CivicIDOpenIDCode, PrivateKeyJWTAuth, RefreshTokenGrant,
                                 S256CodeChallenge)
from civicid.oidc.interfaces import OidcStore
from civicid.oidc.pairwise import pairwise_subject
from civicid.oidc.policy import OidcPolicy
from civicid.oidc.signing_keys import SigningKeys
from civicid.oidc.starlette_adapter import StarletteAuthorizationServer, StarletteResourceProtector
from civicid.oidc.storage import digest
from civicid.oidc.views import ClientView, Grantee, TokenView

MAX_TOKEN_LENGTH = 512
ASSERTION_PARAMS = ("client_assertion", "client_assertion_type")


def client_auth_methods_used(request) -> list[str]:
    """The client authentication methods a token request carries, whether or not they are ones
    CivicID accepts: HTTP Basic, a ``client_secret`` parameter, a client assertion."""
    used = []
    if request.headers.get("Authorization", "")[:6].lower() == "basic ":
        used.append("client_secret_basic")
    data = request.payload.data
    if "client_secret" in data:
        used.append("client_secret_post")
    if any(name in data for name in ASSERTION_PARAMS):
        used.append("client_assertion")
    return used


class CivicIDAuthorizationServer(StarletteAuthorizationServer):
    def __init__(self, *, store: OidcStore, signing: SigningKeys, clock: Clock, issuer: str, policy: OidcPolicy,
                 subject_key: bytes, disclosures: Disclosures, end_browser_session: Callable[[], None]) -> None:
        super().__init__(scopes_supported=None)  # unknown scopes are ignored, not refused (OIDC Core §3.1.2.1)
        self.store = store
        self.signing = signing
        self.clock = clock
        self.issuer = issuer
        self.policy = policy
        self._subject_key = subject_key
        self._disclosures = disclosures
        #: RFC 9449 §6.1: the thumbprint of the DPoP key this token request proved, set by
        #: ``OidcProvider.token`` before the grant runs (one server per request)
        self.dpop_jkt: str | None = None
        self.register_token_generator("default", self._generate_token)
        self.register_client_auth_method(PrivateKeyJWTAuth.CLIENT_AUTH_METHOD, PrivateKeyJWTAuth(self))
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), CivicIDOpenIDCode(self)])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(CivicIDEndSession(self, end_browser_session))

    # --- Authlib hooks ----------------------------------------------------------------------

    def query_client(self, client_id: str) -> ClientView | None:
        return self.store.client(client_id)

    def authenticate_client(self, request, methods, endpoint="token") -> ClientView:
        """Authlib takes the first method that succeeds and ignores the rest; here a request
        must carry one method only, and a ``client_id`` parameter must name the client that
        authenticated.

        * RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
          request"; §5.2 makes that an ``invalid_request``.
        * RFC 7521 §4.2: "If present, the value of the "client_id" parameter MUST identify the
          same client as is identified by the client assertion"; held for HTTP Basic too
          (RFC 6749 §2.3.1 has the client id in the header), ``invalid_client`` otherwise.
        """
        if len(client_auth_methods_used(request)) > 1:
            raise InvalidRequestError("The request uses more than one client authentication method.")
        client = super().authenticate_client(request, methods, endpoint)
        named = request.payload.datalist.get("client_id") or ()
        if any(client_id != client.client_id for client_id in named):
            raise InvalidClientError(description="'client_id' is not the client that authenticated.",
                                     status_code=401 if request.auth_method == "client_secret_basic" else 400)
        if endpoint == "token" and client.dpop_bound_access_tokens and self.dpop_jkt is None:
            # RFC 9449 §5.2: checked before the grant spends the code or the refresh token
            raise InvalidDpopProofError("This client's tokens are DPoP-bound: send a DPoP proof (RFC 9449 section 5).")
        return client

    def get_authorization_grant(self, request):
        """A request without ``response_type`` is missing a required parameter:
        ``invalid_request`` (RFC 6749 §4.1.2.1), not ``unsupported_response_type``, sent to the
        client only if its redirect URI was verified."""
        response_type = request.payload.response_type
        if response_type and invalid_error_characters(response_type):
            # Authlib gives the requested response type as the error's description, and cannot
            # build an error whose description holds characters RFC 6749 §4.1.2.1 forbids there
            # (ValueError: a 500). None of them is in a response type CivicID supports.
            raise UnsupportedResponseTypeError(None, "The response type is not supported.",
                                               redirect_uri=self._verified_redirect_uri(request))
        try:
            return super().get_authorization_grant(request)
        except UnsupportedResponseTypeError as error:
            if request.payload.response_type:
                raise
            raise InvalidRequestError("Missing 'response_type'.", redirect_uri=error.redirect_uri) from None

    def _verified_redirect_uri(self, request) -> str | None:
        """Where an authorization error may go (RFC 6749 §4.1.2.1): the requested redirect URI
        if the client registered it (its default one if none is named), else nowhere."""
        client = self.query_client(request.payload.client_id) if request.payload.client_id else None
        if client is None:
            return None
        if request.payload.redirect_uri:
            return request.payload.redirect_uri if client.check_redirect_uri(request.payload.redirect_uri) else None
        return client.get_default_redirect_uri()

    def create_token_response(self, request=None):
        """A token request without ``grant_type`` is an ``invalid_request`` (RFC 6749 §5.2:
        "missing a required parameter"), not an ``unsupported_grant_type``."""
        if not request.payload.grant_type:
            return self.handle_error_response(request, InvalidRequestError("Missing 'grant_type'."))
        return super().create_token_response(request)

    def _generate_token(self, grant_type: str, client: ClientView, user: Grantee | None = None,
                        scope: str | None = None, expires_in: int | None = None,
                        include_refresh_token: bool = True) -> dict[str, object]:
        """256 random bits each: RFC 6750 bearer tokens, or DPoP-bound ones (``token_type``
        DPoP, RFC 9449 §5) when the request carried a valid proof. A refresh token only with the
        ``offline_access`` scope (OIDC Core §11)."""
        token: dict[str, object] = {"token_type": "DPoP" if self.dpop_jkt else "Bearer", "access_token": secrets.token_urlsafe(32),
                                    "expires_in": expires_in or self.policy.access_token_ttl_s, "scope": scope or ""}
        if include_refresh_token and OFFLINE_ACCESS in (scope or "").split():
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save_token(self, token: dict, request) -> None:
        user: Grantee = request.user
        now = self.clock.now()
        if request.authorization_code is not None:
            grant_id = request.authorization_code.code_hash
            refresh_expires = now + timedelta(seconds=self.policy.refresh_token_ttl_s)
        else:
            previous: TokenView = request.refresh_token
            grant_id, refresh_expires = previous.grant_id, previous.refresh_expires_at
        refresh = token.get("refresh_token")
        self.store.save_token(
            grant_id=grant_id, client_id=user.client_id, citizen_id=user.citizen_id,
            access_token_hash=digest(token["access_token"]), refresh_token_hash=digest(refresh) if refresh else None,
            scope=token["scope"], claims=user.claims, acr=user.acr, amr=user.amr, auth_time=user.auth_time,
            issued_at=now, expires_at=now + timedelta(seconds=int(token["expires_in"])),
            refresh_expires_at=refresh_expires if refresh else None, dpop_jkt=self.dpop_jkt,
        )

    def handle_error_response(self, request, error):
        """Errors sent back to the client's redirect URI carry ``iss`` too (RFC 9207 §2)."""
        status, body, headers = error(self.get_error_uri(request, error))
        if error.redirect_uri:
            headers = [(k, add_params_to_uri(v, [("iss", self.issuer)]) if k.lower() == "location" else v)
                       for k, v in headers]
        return self.handle_response(status, body, headers)

    # --- claims ------------------------------------------------------------------------------

    def user_claims(self, grantee: Grantee) -> dict[str, object]:
        """``sub`` (pairwise, OIDC Core §8.1) and the consented claims' values."""
        facts = self.store.citizen(grantee.citizen_id, with_profile=needs_profile(grantee.claims))
        if facts is None:
            raise CitizenNotFound()
        sub = pairwise_subject(self._subject_key, sector=grantee.sector, citizen_id=grantee.citizen_id)
        values = claim_values(grantee.claims, verified=facts.verified, name=facts.name, birth_date=facts.birth_date,
                              today=self.clock.now().date())
        return {"sub": sub, **values}

    def claims_released(self, grantee: Grantee, *, channel: str) -> None:
        self._disclosures.claims_released(grantee.citizen_id, grantee.client_id, grantee.claims, channel=channel)


class CivicIDEndSession(EndSessionEndpoint):
    """RP-Initiated Logout 1.0: ``id_token_hint`` must be an ID token this issuer signed (its
    keys, ES256 or RS256, ``iss`` equal to ours); ``post_logout_redirect_uri`` must be registered
    exactly; ``state`` is echoed. Whether to ask the citizen first is decided by
    ``OidcProvider.logout`` (the hint's ``sid`` against the browser's session)."""

    def __init__(self, server: CivicIDAuthorizationServer, end_browser_session: Callable[[], None]) -> None:
        super().__init__(server)
        self._end_browser_session = end_browser_session

    def get_server_jwks(self) -> dict:
        self.server.signing.current()  # never an empty set, even before the first ID token
        return self.server.signing.jwks()

    def get_algorithms(self) -> list[str]:
        return list(ID_TOKEN_ALGS)

    def validate_request(self, request):
        validated = super().validate_request(request)
        if validated.id_token_claims is not None and validated.id_token_claims.get("iss") != self.server.issuer:
            raise InvalidRequestError("The 'id_token_hint' was not issued here.")
        return validated

    def end_session(self, end_session_request) -> None:
        self._end_browser_session()


class CivicIDBearerValidator(BearerTokenValidator):
    """RFC 6750 bearer tokens, found by their hash."""

    REALM = "civicid"

    def __init__(self, store: OidcStore, clock: Clock) -> None:
        super().__init__(realm=self.REALM)
        self._store = store
        self._clock = clock

    def authenticate_token(self, token_string: str) -> TokenView | None:
        if not token_string or len(token_string) > MAX_TOKEN_LENGTH:
            return None
        return self._store.access_token(digest(token_string), now=self._clock.now())


class BearerRequestInvalid(InvalidRequestError):
    """RFC 6750 §3.1 ``invalid_request`` (400), with its Bearer challenge."""

    def get_headers(self):
        description = (self.description or "").replace('"', "'")
        return [*super().get_headers(), ("WWW-Authenticate", f'Bearer realm="{CivicIDBearerValidator.REALM}", '
                                                              f'error="{self.error}", error_description="{description}"')]


class BearerProtector(StarletteResourceProtector):
    """Finds the access token in the Authorization header (RFC 6750 §2.1) or in a form-encoded
    body (§2.2, ``StarletteJsonRequest.body_tokens``), refusing a request that uses both or
    repeats it (§2: "Clients MUST NOT use more than one method to transmit the token in each
    request")."""

    def __init__(self, validator: CivicIDBearerValidator) -> None:
        super().__init__()
        self.register_token_validator(validator)

    def parse_request_authorization(self, request):
        body_tokens = getattr(request, "body_tokens", ())
        if not body_tokens:
            return super().parse_request_authorization(request)
        if len(body_tokens) > 1 or request.headers.get("Authorization"):
            raise BearerRequestInvalid("Send the access token once, in the Authorization header or in the body.")
        return self.get_token_validator(CivicIDBearerValidator.TOKEN_TYPE), body_tokens[0]
