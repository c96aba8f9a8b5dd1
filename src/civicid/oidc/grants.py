"""The grants CivicID offers, as Authlib grants and extensions.

* ``AuthorizationCodeGrant`` (RFC 6749 §4.1) with ``S256CodeChallenge`` (RFC 7636, S256 only,
  required for every client per RFC 9700 §2.1.1) and ``CivicIDOpenIDCode`` (OIDC Core §3.1).
* ``RefreshTokenGrant`` (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).
* ``PrivateKeyJWTAuth``: ``private_key_jwt`` client authentication (OIDC Core §9, RFC 7523 §2.2),
  assertions living at most ``OidcPolicy.assertion_max_lifetime_s``.

No implicit or hybrid grant is registered, so ``response_type`` other than ``code`` is refused.
Storage goes through ``server.store`` (``interfaces.OidcStore``); time through ``server.clock``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidClientError, InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from civicid.oidc.claims import releasable
from civicid.oidc.discovery import CLIENT_ASSERTION_ALGS, CLIENT_AUTH_METHODS, PAR_PATH, TOKEN_PATH
from civicid.oidc.dpop import InvalidDpopProofError
from civicid.oidc.storage import digest
from civicid.oidc.views import ClientView, CodeView, Grantee, TokenView

if TYPE_CHECKING:
    from civicid.oidc.server import CivicIDAuthorizationServer

MAX_NONCE = 255
_JKT = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_STATE = 2048


class S256CodeChallenge(CodeChallenge):
    """PKCE with ``S256`` only, required on every authorization request (RFC 9700 §2.1.1: "plain"
    offers no protection when the request leaks)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)
    server: CivicIDAuthorizationServer

    @staticmethod
    def validate_authorization_redirect_uri(request, client) -> str:
        """Authlib quotes an unregistered ``redirect_uri`` in the error's description, and cannot
        build an error whose description holds characters RFC 6749 §4.1.2.1 forbids there
        (ValueError: a 500, found by the schema fuzzer). The same error, without the quote."""
        if request.payload.redirect_uri and not client.check_redirect_uri(request.payload.redirect_uri):
            raise InvalidRequestError("The redirect_uri is not one the client registered.")
        return grants.AuthorizationCodeGrant.validate_authorization_redirect_uri(request, client)

    def validate_authorization_request(self) -> str:
        """RFC 6749 §4.1.1 and OIDC Core §3.1.2.1, then what CivicID does not support is
        refused with the error the spec names for it (OIDC Core §6, OAuth 2.0 Multiple Response
        Types §2.1)."""
        data = self.request.payload.data
        redirect_uri = super().validate_authorization_request()
        if "request" in data:
            raise RequestNotSupportedError(redirect_uri=redirect_uri)
        if "request_uri" in data:
            raise RequestURINotSupportedError(redirect_uri=redirect_uri)
        if data.get("response_mode", "query") != "query":
            raise InvalidRequestError("Only response_mode=query is supported.", redirect_uri=redirect_uri)
        if len(data.get("nonce") or "") > MAX_NONCE or len(data.get("state") or "") > MAX_STATE:
            raise InvalidRequestError("'nonce' or 'state' is too long.", redirect_uri=redirect_uri)
        if "dpop_jkt" in data and not _JKT.fullmatch(data["dpop_jkt"]):
            raise InvalidRequestError("'dpop_jkt' must be a JWK SHA-256 thumbprint.", redirect_uri=redirect_uri)
        max_age = data.get("max_age")
        if max_age is not None and not (max_age.isdigit() and len(max_age) <= 9):
            raise InvalidRequestError("'max_age' must be a number of seconds.", redirect_uri=redirect_uri)
        return redirect_uri

    def create_authorization_response(self, redirect_uri: str, grant_user: Grantee | None):
        """RFC 6749 §4.1.2, with ``iss`` added per RFC 9207 so a client talking to several
        providers can tell which one answered (mix-up defence, RFC 9700 §4.4)."""
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        params = [("code", code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        params.append(("iss", self.server.issuer))
        return 302, "", [("Location", add_params_to_uri(redirect_uri, params))]

    def save_authorization_code(self, code: str, request) -> None:
        user: Grantee = request.user
        data = request.payload.data
        now = self.server.clock.now()
        self.server.store.save_code(
            code_hash=digest(code), client_id=request.client.get_client_id(), citizen_id=user.citizen_id,
            redirect_uri=request.payload.redirect_uri, scope=request.scope, claims=user.claims,
            nonce=data.get("nonce") or None, code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"], acr=user.acr, amr=user.amr,
            auth_time=user.auth_time, expires_at=now + timedelta(seconds=self.server.policy.code_ttl_s),
            sid=user.sid, dpop_jkt=data.get("dpop_jkt") or None,
        )

    def query_authorization_code(self, code: str, client: ClientView) -> CodeView | None:
        """A code bound to a DPoP key (RFC 9449 §10) is redeemed only with a proof of that key."""
        found = self.server.store.claim_code(digest(code), client_id=client.get_client_id(),
                                             now=self.server.clock.now())
        if found is not None and found.dpop_jkt and found.dpop_jkt != self.server.dpop_jkt:
            raise InvalidDpopProofError("The code is bound to another DPoP key (dpop_jkt).")
        return found

    def delete_authorization_code(self, authorization_code: CodeView) -> None:
        """Nothing to do: ``claim_code`` marked it used, and the row stays so that a replay is
        recognised and the tokens issued from it can be revoked."""

    def authenticate_user(self, authorization_code: CodeView) -> Grantee | None:
        if self.server.store.citizen(authorization_code.citizen_id, with_profile=False) is None:
            return None
        client: ClientView = self.request.client
        return Grantee(citizen_id=authorization_code.citizen_id, client_id=client.client_id, sector=client.sector,
                       claims=authorization_code.claims, acr=authorization_code.acr, amr=authorization_code.amr,
                       auth_time=authorization_code.auth_time)


class CivicIDOpenIDCode(OpenIDCode):
    """OIDC Core §3.1: an ID token next to the access token, carrying the pairwise ``sub``,
    ``acr``, ``amr``, ``auth_time``, ``nonce``, ``sid`` and the claims the citizen consented to;
    signed with the client's ``id_token_signed_response_alg`` (ES256 unless it registered
    RS256; OIDC Registration 1.0 §2)."""

    def __init__(self, server: CivicIDAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request) -> bool:
        return self.server.store.nonce_seen(request.payload.client_id, nonce)

    def get_client_algorithm(self, client: ClientView) -> str:
        return client.id_token_signed_response_alg

    def get_encode_header(self, client: ClientView) -> dict[str, str]:
        return self.server.signing.current(client.id_token_signed_response_alg).header

    def resolve_client_private_key(self, client: ClientView):
        return self.server.signing.current(client.id_token_signed_response_alg).private

    def get_authorization_code_claims(self, authorization_code: CodeView) -> dict[str, object]:
        """With ``sid`` (Front-Channel Logout 1.0 §3, Back-Channel Logout 1.0 §2.4): the browser
        session the code was issued in, as this client sees it (``civicid.oidc.session_id``)."""
        claims = super().get_authorization_code_claims(authorization_code)
        if authorization_code.sid:
            claims["sid"] = authorization_code.sid
        return claims

    def get_client_claims(self, client) -> dict[str, object]:
        now = int(self.server.clock.now().timestamp())
        return {"iss": self.server.issuer, "aud": client.get_client_id(), "iat": now,
                "exp": now + self.server.policy.id_token_ttl_s}

    def generate_user_info(self, user: Grantee, scope: str) -> dict[str, object]:
        return self.server.user_claims(user)

    def process_token(self, grant, response):
        token = super().process_token(grant, response)
        if "id_token" in token:
            self.server.claims_released(grant.request.user, channel="id_token")
        return token


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 §6 with rotation: every use returns a new refresh token and revokes the old one;
    presenting a revoked one revokes the whole family (RFC 9700 §4.14.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: CivicIDAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> TokenView | None:
        """A DPoP-bound refresh token needs a proof with the same key (RFC 9449 §5: "the
        authorization server MUST ... ensure that the refresh token was bound to the same public
        key"); the new tokens are bound to the key of this request's proof."""
        token = self.server.store.refresh_token(digest(refresh_token), now=self.server.clock.now())
        if token is not None and token.dpop_jkt and token.dpop_jkt != self.server.dpop_jkt:
            raise InvalidDpopProofError("The refresh token is bound to another DPoP key.")
        return token

    def authenticate_user(self, refresh_token: TokenView) -> Grantee | None:
        if self.server.store.citizen(refresh_token.citizen_id, with_profile=False) is None:
            return None
        client: ClientView = self.request.client
        scope = self.request.payload.scope or refresh_token.scope
        return Grantee(citizen_id=refresh_token.citizen_id, client_id=client.client_id, sector=client.sector,
                       claims=releasable(refresh_token.claims, scope), acr=refresh_token.acr,
                       amr=refresh_token.amr, auth_time=refresh_token.auth_time)

    def revoke_old_credential(self, refresh_token: TokenView) -> None:
        now = self.server.clock.now()
        if not self.server.store.revoke_token(refresh_token.id, now=now):
            self.server.store.revoke_grant(refresh_token.grant_id, now=now)
            raise InvalidGrantError("The refresh token was already used.")


class PrivateKeyJWTAuth(JWTBearerClientAssertion):
    """``private_key_jwt`` (OIDC Core §9): a JWT signed with a key in the client's registered
    JWKS, ``iss`` = ``sub`` = client id, ``aud`` = the token endpoint (or the issuer), a fresh
    ``jti``, a short life. ``alg: none`` and HMAC algorithms are not accepted."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: CivicIDAuthorizationServer) -> None:
        super().__init__(validate_jti=True, leeway=server.policy.assertion_leeway_s)
        self.server = server

    def get_audiences(self) -> list[str]:
        return [self.server.issuer + TOKEN_PATH, self.server.issuer, self.server.issuer + PAR_PATH]

    def resolve_client_public_key(self, client: ClientView) -> KeySet:
        if not client.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        return KeySet.import_key_set(client.jwks)

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(CLIENT_ASSERTION_ALGS))
        except JoseError as error:
            raise InvalidClientError(description="The client assertion is not valid.") from error
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self.server.clock.now().timestamp()), leeway=self.leeway,
            iss={"essential": True}, sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()}, exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise InvalidClientError(description="The client assertion's claims are not valid.") from error
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="Issuer and Subject MUST match.")
        if self._lives_too_long(claims):
            raise InvalidClientError(description="The client assertion lives too long: at most "
                                                 f"{self.server.policy.assertion_max_lifetime_s} seconds.")
        if not isinstance(claims["jti"], str) or not self.validate_jti(claims, claims["jti"]):
            raise InvalidClientError(description="The client assertion was used before.")

    def _lives_too_long(self, claims) -> bool:
        """RFC 7523 §3 item 4 lets "the authorization server ... reject JWTs with an "exp" claim
        value that is unreasonably far in the future", and item 7 bounds how long a ``jti``
        must be remembered by the assertion's life. At most ``assertion_max_lifetime_s`` from
        ``iat`` when it is given, else from now (with the clock-skew leeway)."""
        limit = self.server.policy.assertion_max_lifetime_s
        exp = claims["exp"]
        if "iat" in claims and exp - claims["iat"] > limit:
            return True
        return exp - self.server.clock.now().timestamp() > limit + self.leeway

    def validate_jti(self, claims, jti: str) -> bool:
        try:
            expires = datetime.fromtimestamp(int(claims["exp"]), timezone.utc)
        except (TypeError, ValueError, OverflowError):
            return False
        return self.server.store.use_jti(claims["sub"], jti, expires_at=expires + timedelta(seconds=self.leeway),
                                         now=self.server.clock.now())
