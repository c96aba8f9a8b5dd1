"""OpenID Provider Metadata (OIDC Discovery 1.0 §3), with RP-Initiated Logout 1.0 §2.1,
RFC 9207 (``iss`` in authorization responses), RFC 9126 §5 (PAR) and RFC 9449 §5.1 (DPoP)."""

from __future__ import annotations

from civicid.oidc.claims import CLAIMS_SUPPORTED, SCOPES_SUPPORTED

ACR_FACE_LIVENESS = "urn:civicid:acr:face-liveness"
CLIENT_AUTH_METHODS = ("client_secret_basic", "private_key_jwt")
CLIENT_ASSERTION_ALGS = ("ES256", "ES384", "RS256", "PS256")
#: ID-token signing: ES256 by default; RS256 per client (``id_token_signed_response_alg``, OIDC
#: Registration 1.0 §2), because OIDC Discovery 1.0 §3 and Core §15.1 make it mandatory to support.
ID_TOKEN_ALG = "ES256"
ID_TOKEN_ALGS = (ID_TOKEN_ALG, "RS256")

AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/token"
USERINFO_PATH = "/oauth2/userinfo"
JWKS_PATH = "/oauth2/jwks"
LOGOUT_PATH = "/oauth2/logout"
CONSENT_PATH = "/oauth2/consent"
PAR_PATH = "/oauth2/par"
#: RFC 9449 §5.1: asymmetric only (§4.3 item 5); FAPI 2.0 §5.4.1 names PS256, ES256 and EdDSA
DPOP_SIGNING_ALGS = ("ES256", "ES384", "PS256", "EdDSA")
DISCOVERY_PATH = "/.well-known/openid-configuration"


def issuer_of(public_url: str) -> str:
    """The issuer identifier: the public URL without a trailing slash (OIDC Discovery §4.3
    requires it to match ``iss`` exactly)."""
    return public_url.rstrip("/")


def openid_configuration(issuer: str) -> dict[str, object]:
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "userinfo_endpoint": issuer + USERINFO_PATH,
        "jwks_uri": issuer + JWKS_PATH,
        "end_session_endpoint": issuer + LOGOUT_PATH,
        "scopes_supported": list(SCOPES_SUPPORTED),
        "claims_supported": ["iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash", "sid",
                             *CLAIMS_SUPPORTED],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": list(ID_TOKEN_ALGS),
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ASSERTION_ALGS),
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [ACR_FACE_LIVENESS],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "pushed_authorization_request_endpoint": issuer + PAR_PATH,
        # per client (RFC 9126 §6); the server accepts plain authorization requests from others
        "require_pushed_authorization_requests": False,
        "dpop_signing_alg_values_supported": list(DPOP_SIGNING_ALGS),
        # OpenID Back-Channel Logout 1.0 §2.1
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
