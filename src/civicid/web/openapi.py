"""The OpenAPI document: FastAPI's, plus the plain sign-in routes documented by hand.

The sign-in endpoints are plain Starlette routes (``deps.plain_route``): FastAPI does not
see their parameters, bodies or answers, so their operations are written out here, with request
and response schemas, for API clients and for the schema fuzzer (tests/integration/fuzz). An
app with a plain route that has no entry here does not start (``install_openapi``), so a new
one cannot go undocumented.

The OAuth 2 / OIDC endpoints answer as their RFCs say (RFC 6749 §5.1-5.2 token responses and
errors, RFC 6750 §3 bearer errors, OIDC Core §3.1.2.6 error redirects); every other error is
CivicID's typed ``{"error": {"code", "message"[, "detail"]}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from civicid.oidc.discovery import AUTHORIZE_PATH, TOKEN_PATH, USERINFO_PATH

Operation = dict[str, Any]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def _typed_error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _oauth_error(description: str, **extra: Any) -> dict[str, Any]:
    return _json(_ref("OAuthError"), description, **extra)


#: components the hand-written operations refer to (``CeremonyResponse`` is FastAPI's, from
#: the passkey registration route)
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string", "description": "Stable wire code, domain.reason."},
                           "message": {"type": "string"}, "detail": {}}}},
    },
    "OAuthError": {
        "type": "object", "required": ["error"], "description": "RFC 6749 §5.2 / RFC 6750 §3.1 error response.",
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"},
                       "state": {"type": "string"}},
    },
    "CeremonyOptions": {
        "type": "object", "required": ["ceremony_id", "publicKey", "expires_at"],
        "properties": {
            "ceremony_id": {"type": "string", "description": "Send back with the credential to /verify."},
            "publicKey": {"type": "object", "additionalProperties": True,
                          "description": "PublicKeyCredentialRequestOptionsJSON (WebAuthn L3 §5.5), "
                                         "for navigator.credentials.get."},
            "expires_at": {"type": "string", "format": "date-time"}},
    },
    "PasskeySignedIn": {
        "type": "object", "required": ["signed_in", "network_id", "amr", "acr"],
        "properties": {"signed_in": {"type": "boolean", "const": True}, "network_id": {"type": "string"},
                       "amr": {"type": "array", "items": {"type": "string"}}, "acr": {"type": "string"}},
    },
    "TokenRequest": {
        "type": "object", "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token"]},
            "code": {"type": "string", "description": "authorization_code grant"},
            "redirect_uri": {"type": "string", "description": "authorization_code grant: as in the request"},
            "code_verifier": {"type": "string", "description": "PKCE (RFC 7636 §4.5), required"},
            "refresh_token": {"type": "string", "description": "refresh_token grant"},
            "scope": {"type": "string"},
            "client_id": {"type": "string"},
            "client_assertion_type": {"type": "string",
                                      "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]},
            "client_assertion": {"type": "string", "description": "private_key_jwt (OIDC Core §9)"}},
    },
    "TokenResponse": {
        "type": "object", "required": ["access_token", "token_type"],
        "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"},
                       "expires_in": {"type": "integer"}, "refresh_token": {"type": "string"},
                       "id_token": {"type": "string", "description": "ES256-signed JWT; pairwise sub"},
                       "scope": {"type": "string"}},
    },
    "UserInfo": {
        "type": "object", "required": ["sub"], "additionalProperties": True,
        "description": "The consented claims (OIDC Core §5.3.2), with acr, amr and auth_time.",
        "properties": {"sub": {"type": "string", "description": "pairwise subject (OIDC Core §8.1)"},
                       "acr": {"type": "string"}, "amr": {"type": "array", "items": {"type": "string"}},
                       "auth_time": {"type": "integer"}},
    },
}

SECURITY_SCHEMES = {
    "OAuthClientBasic": {"type": "http", "scheme": "basic",
                         "description": "client_secret_basic (RFC 6749 §2.3.1): client_id and secret."},
    "OAuthAccessToken": {"type": "http", "scheme": "bearer",
                         "description": "An access token from the token endpoint (RFC 6750 §2.1)."},
}

_SESSION_COOKIE = {"Set-Cookie": {"description": "The sign-in session (HttpOnly, SameSite=Lax).",
                                  "schema": {"type": "string"}}}
_BEARER_CHALLENGE = {"WWW-Authenticate": {"description": "RFC 6750 §3", "schema": {"type": "string"}}}
_TOO_LARGE = _typed_error("The body is larger than the limit (request.too_large).")


def _query(name: str, description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "string", **schema}}


_USERINFO: Operation = {
    "tags": ["oidc"], "summary": "UserInfo",
    "description": "UserInfo endpoint (OIDC Core §5.3): the consented claims for the access token's citizen.",
    "security": [{"OAuthAccessToken": []}],
    "responses": {
        "200": _json(_ref("UserInfo"), "The claims."),
        "401": _oauth_error("No token, or not a valid one (invalid_token).", headers=_BEARER_CHALLENGE),
        "403": _oauth_error("The token lacks the openid scope (insufficient_scope).", headers=_BEARER_CHALLENGE),
    },
}

#: (method, path) → the OpenAPI operation of each plain route
PLAIN_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/api/v1/signin/options"): {
        "tags": ["passkeys"], "summary": "Passkey sign-in options", "operationId": "signin_options",
        "description": "Options for navigator.credentials.get with a discoverable credential "
                       "(no allowCredentials). The ceremony expires after a few minutes.",
        "responses": {"200": _json(_ref("CeremonyOptions"), "The ceremony.")},
    },
    ("POST", "/api/v1/signin/verify"): {
        "tags": ["passkeys"], "summary": "Passkey sign-in", "operationId": "signin_verify",
        "description": "Verify the assertion (PublicKeyCredential.toJSON()) for the ceremony and start a "
                       "session (cookie) with amr hwk, user. Only application/json is read (login CSRF).",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CeremonyResponse")}}},
        "responses": {
            "200": _json(_ref("PasskeySignedIn"), "Signed in.", headers=_SESSION_COOKIE),
            "400": _typed_error("Unknown, used or expired ceremony (passkey.ceremony_invalid)."),
            "401": _typed_error("The assertion is rejected (passkey.authentication_rejected, "
                                "passkey.unknown_credential)."),
            "413": _TOO_LARGE,
            "422": _typed_error("The body is not a CeremonyResponse in JSON (request.invalid)."),
        },
    },
    ("GET", AUTHORIZE_PATH): {
        "tags": ["oidc"], "summary": "Authorization endpoint", "operationId": "oidc_authorize",
        "description": "Authorization code flow with PKCE S256 (OIDC Core §3.1.2). Without a session the "
                       "browser goes to /signin; then the consent page; then a code to the client.",
        "parameters": [
            _query("response_type", "Only code.", required=True, enum=["code"]),
            _query("client_id", "The registered client.", required=True),
            _query("redirect_uri", "One of the client's registered redirect URIs, exactly.", required=True),
            _query("scope", "Space-separated; must include openid.", required=True),
            _query("state", "Returned to the client unchanged."),
            _query("nonce", "Put into the ID token."),
            _query("code_challenge", "PKCE (RFC 7636 §4.2), required.", required=True),
            _query("code_challenge_method", "Only S256.", required=True, enum=["S256"]),
            _query("prompt", "Space-separated: none, login, consent."),
            _query("max_age", "Seconds since the citizen last authenticated.", pattern="^[0-9]{1,9}$"),
            _query("acr_values", "urn:civicid:acr:face-liveness"),
        ],
        "responses": {
            "200": {"description": "The consent page.", "content": {"text/html": {"schema": {"type": "string"}}}},
            "302": {"description": "To the client's redirect_uri (code or error, with state and iss), or "
                                   "to /signin.", "headers": {"Location": {"schema": {"type": "string"}}}},
            "400": {"description": "An error page: the client or redirect_uri could not be trusted, so "
                                   "nothing is sent to it (RFC 6749 §4.1.2.1).",
                    "content": {"text/html": {"schema": {"type": "string"}}}},
        },
    },
    ("POST", TOKEN_PATH): {
        "tags": ["oidc"], "summary": "Token endpoint", "operationId": "oidc_token",
        "description": "RFC 6749 §3.2 / OIDC Core §3.1.3: authorization_code (with code_verifier) and "
                       "refresh_token. Clients authenticate with client_secret_basic or private_key_jwt.",
        "security": [{"OAuthClientBasic": []}, {}],
        "requestBody": {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": _ref("TokenRequest")}}},
        "responses": {
            "200": _json(_ref("TokenResponse"), "The tokens (Cache-Control: no-store)."),
            "400": _oauth_error("invalid_request, invalid_grant, unsupported_grant_type, ..."),
            "401": _oauth_error("invalid_client."),
            "413": _TOO_LARGE,
        },
    },
    ("POST", "/oauth2/par"): {
        "tags": ["oidc"], "summary": "Pushed authorization request", "operationId": "oidc_par",
        "description": "RFC 9126 §2: the client posts its authorization request (the authorization endpoint's "
                       "parameters, form-encoded) with its client authentication, and sends the browser to the "
                       "authorization endpoint with client_id and the one-time request_uri it gets back.",
        "security": [{"OAuthClientBasic": []}, {}],
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["response_type", "client_id", "redirect_uri", "scope"],
            "additionalProperties": {"type": "string"},
            "properties": {name: {"type": "string"} for name in (
                "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
                "code_challenge_method", "prompt", "max_age", "client_assertion_type", "client_assertion")}}}}},
        "responses": {
            "201": _json({"type": "object", "required": ["request_uri", "expires_in"], "properties": {
                "request_uri": {"type": "string"}, "expires_in": {"type": "integer"}}}, "The request_uri."),
            "400": _oauth_error("invalid_request and the authorization endpoint's other errors."),
            "401": _oauth_error("invalid_client."),
            "413": _TOO_LARGE,
        },
    },
    ("GET", USERINFO_PATH): {**_USERINFO, "operationId": "oidc_userinfo"},
    ("POST", USERINFO_PATH): {
        **_USERINFO, "operationId": "oidc_userinfo_post",
        "description": _USERINFO["description"] + " The token may come in a form body instead (RFC 6750 §2.2).",
        "requestBody": {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {"access_token": {"type": "string"}}}}}},
    },
}


def plain_route_keys(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every plain route in ``app`` (HEAD left out: it answers as GET)."""
    return {(method, context.path_format) for context in iter_route_contexts(app.routes)
            if getattr(context.endpoint, "is_plain_route", False)
            for method in (context.methods or ()) if method != "HEAD"}


def install_openapi(app: FastAPI) -> None:
    """FastAPI's document with the plain routes added. Fails if a plain route has no entry in
    ``PLAIN_OPERATIONS``; an entry without its route is left out."""
    present = plain_route_keys(app)
    missing = sorted(present - set(PLAIN_OPERATIONS))
    if missing:
        raise RuntimeError(f"civicid.web.openapi: plain routes without an OpenAPI operation: {missing}")
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            components = document.setdefault("components", {})
            components.setdefault("schemas", {}).update(SCHEMAS)
            components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
            for (method, path), operation in PLAIN_OPERATIONS.items():
                if (method, path) in present:  # an operation whose route is gone is not announced
                    document["paths"].setdefault(path, {})[method.lower()] = operation
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
