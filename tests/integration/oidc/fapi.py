"""Helpers for the FAPI 2.0 tests: DPoP proofs (RFC 9449 §4.2), private_key_jwt clients and
pushed authorization requests (RFC 9126 §2), with fixed keys and the test's pinned clock."""

from __future__ import annotations

import base64
import hashlib
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey

from .conftest import ISSUER, RP, authorize_params, make_rp
from .test_security import assertion

PAR_URL = ISSUER + "/oauth2/par"
TOKEN_URL = ISSUER + "/oauth2/token"
USERINFO_URL = ISSUER + "/oauth2/userinfo"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def ath(access_token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()


def dpop_proof(key, method: str, url: str, *, iat: int, nonce: str | None = None, access_token: str | None = None,
               jti: str | None = None, typ: str = "dpop+jwt", alg: str = "ES256", jwk: dict | None = None,
               **claims) -> str:
    header = {"typ": typ, "alg": alg, "jwk": jwk if jwk is not None else key.as_dict(private=False)}
    body = {"jti": str(uuid.uuid4()) if jti is None else jti, "htm": method, "htu": url, "iat": iat, **claims}
    if nonce is not None:
        body["nonce"] = nonce
    if access_token is not None:
        body["ath"] = ath(access_token)
    return jwt.encode(header, body, key)


def new_key(kid: str = "k") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


def make_jwt_rp(runtime, *, redirect_uri="https://bank.example/cb", **kwargs) -> tuple[RP, ECKey]:
    key = new_key("rp-key-1")
    rp = make_rp(runtime, redirect_uri=redirect_uri, token_endpoint_auth_method="private_key_jwt",
                 jwks={"keys": [key.as_dict(private=False)]}, **kwargs)
    return rp, key


def client_auth(rp: RP, key, now: int, *, aud: str = ISSUER) -> dict:
    """private_key_jwt parameters (``aud`` the issuer, as FAPI 2.0 §5.3.2.1 and openid-client do)."""
    return {"client_id": rp.client_id, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(rp.client_id, key, now, aud=aud)}


def push(http, rp: RP, *, auth=None, **params):
    """POST the authorization request to the PAR endpoint; ``auth`` a (id, secret) pair or a
    dict of form parameters (private_key_jwt)."""
    data = authorize_params(rp, **params)
    if isinstance(auth, dict):
        return http.post("/oauth2/par", data={**data, **auth})
    return http.post("/oauth2/par", data=data, auth=auth if auth is not None else rp.auth)


def token_request(http, rp: RP, code: str, *, proof: str | None = None, auth="basic", verifier=None, **extra):
    """The code exchange (``conftest.exchange``) with a ``DPoP`` header."""
    from .conftest import VERIFIER
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "code_verifier": verifier or VERIFIER, **extra}
    headers = {"DPoP": proof} if proof else {}
    return http.post("/oauth2/token", data=data, auth=rp.auth if auth == "basic" else auth, headers=headers)
