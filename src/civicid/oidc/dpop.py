"""DPoP, OAuth 2.0 Demonstrating Proof of Possession (RFC 9449).

* ``verify_proof``: the checks of RFC 9449 §4.3 on one ``DPoP`` header, returning the key's
  JWK SHA-256 thumbprint (RFC 7638), the ``jkt`` a token is bound to (§6.1).
* ``DpopNonces``: server-provided nonces (§8) that need no shared state: an HMAC of the time
  window, so every worker process issues and accepts the same ones.
* ``proof_jti_fresh``: replay protection (§11.1) through the store's unique key
  (``OidcStore.use_dpop_jti``), shared by all workers through the database.

https://www.rfc-editor.org/rfc/rfc9449
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping

from authlib.oauth2 import OAuth2Error
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey

from civicid.oidc.discovery import DPOP_SIGNING_ALGS

#: asymmetric algorithms only (§4.3 item 5); FAPI 2.0 §5.4.1 names PS256, ES256 and EdDSA
DPOP_ALGS = DPOP_SIGNING_ALGS
PROOF_TYP = "dpop+jwt"
MAX_PROOF_LENGTH = 8192
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
#: the proof carries its public key in the header (§4.2): an RSA one exceeds joserfc's 512-byte default
_REGISTRY = jws.JWSRegistry(algorithms=list(DPOP_ALGS))
_REGISTRY.max_header_length = 2048


class InvalidDpopProofError(OAuth2Error):
    """RFC 9449 §5 / §7.1 ``invalid_dpop_proof``."""

    error = "invalid_dpop_proof"
    status_code = 400


class UseDpopNonceError(OAuth2Error):
    """RFC 9449 §8: the proof must carry the server's nonce, sent in ``DPoP-Nonce``."""

    error = "use_dpop_nonce"
    status_code = 400

    def __init__(self, nonce: str, description: str = "Send the DPoP-Nonce value in the proof's 'nonce'.") -> None:
        super().__init__(description=description)
        self.nonce = nonce

    def get_headers(self):
        return [*super().get_headers(), ("DPoP-Nonce", self.nonce)]


@dataclass(frozen=True, slots=True)
class DpopProof:
    jkt: str
    jti: str
    iat: int


def b64url_sha256(value: str) -> str:
    """base64url(SHA-256(ASCII(value))) without padding: ``ath`` (§4.2) and thumbprints."""
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode("ascii", "replace")).digest()).rstrip(b"=").decode()


def htu_of(uri: str) -> str:
    """§4.3 item 9: the request's URI without query and fragment."""
    return uri.split("?", 1)[0].split("#", 1)[0]


def proof_header(headers: Mapping[str, str]) -> str | None:
    """The one ``DPoP`` header (§4.3 item 1: "not more than one"), or None if there is none."""
    values = headers.getlist("dpop") if hasattr(headers, "getlist") else (
        [headers["dpop"]] if "dpop" in headers else [])
    if not values:
        return None
    if len(values) > 1:
        raise InvalidDpopProofError("Send one DPoP header.")
    return values[0]


def verify_proof(proof: str, *, method: str, uri: str, now: datetime, max_age_s: int, leeway_s: int,
                 access_token: str | None = None, nonces: DpopNonces | None = None) -> DpopProof:
    """RFC 9449 §4.3, items 2 to 12: a well-formed JWS with ``typ: dpop+jwt``, an asymmetric
    ``alg``, a public ``jwk`` that verifies the signature, ``jti``, ``htm`` = ``method``,
    ``htu`` = ``uri`` (without query and fragment), ``iat`` within ``max_age_s`` (``leeway_s``
    ahead), the server's nonce when ``nonces`` is given (§8) and ``ath`` = the access token's
    hash when ``access_token`` is given (§4.3 item 12, §7). The ``jti`` is not remembered here:
    see ``proof_jti_fresh``."""
    if not proof or len(proof) > MAX_PROOF_LENGTH:
        raise InvalidDpopProofError("The DPoP proof is missing or too long.")
    try:
        header = jws.extract_compact(proof.encode("ascii"), registry=_REGISTRY).headers()
    except (JoseError, ValueError, UnicodeError):
        raise InvalidDpopProofError("The DPoP proof is not a JWS.") from None
    if header.get("typ") != PROOF_TYP:
        raise InvalidDpopProofError("The DPoP proof's typ must be dpop+jwt.")
    if header.get("alg") not in DPOP_ALGS:
        raise InvalidDpopProofError(f"The DPoP proof's alg must be one of {', '.join(DPOP_ALGS)}.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & set(jwk):
        raise InvalidDpopProofError("The DPoP proof's jwk must be a public key.")
    try:
        key = JWKRegistry.import_key(jwk)
        if not isinstance(key, (ECKey, RSAKey, OKPKey)):
            raise InvalidDpopProofError("The DPoP proof's jwk must be an asymmetric key.")
        claims = json.loads(jws.deserialize_compact(proof, key, registry=_REGISTRY).payload)
    except (JoseError, ValueError, TypeError, KeyError):
        raise InvalidDpopProofError("The DPoP proof's signature does not verify.") from None
    if not isinstance(claims, dict):
        raise InvalidDpopProofError("The DPoP proof's payload is not a JSON object.")
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 256:
        raise InvalidDpopProofError("The DPoP proof needs a 'jti'.")
    if claims.get("htm") != method:
        raise InvalidDpopProofError("The DPoP proof's 'htm' is not this request's method.")
    if not isinstance(claims.get("htu"), str) or htu_of(claims["htu"]) != htu_of(uri):
        raise InvalidDpopProofError("The DPoP proof's 'htu' is not this request's URI.")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise InvalidDpopProofError("The DPoP proof needs a numeric 'iat'.")
    age = now.timestamp() - iat
    if age > max_age_s or age < -leeway_s:
        raise InvalidDpopProofError("The DPoP proof is too old or from the future.")
    if nonces is not None and not nonces.valid(claims.get("nonce"), now):
        raise UseDpopNonceError(nonces.current(now))
    if access_token is not None and claims.get("ath") != b64url_sha256(access_token):
        raise InvalidDpopProofError("The DPoP proof's 'ath' is not the access token's hash.")
    return DpopProof(jkt=key.thumbprint(), jti=jti, iat=iat)


def proof_jti_fresh(store, proof: DpopProof, *, max_age_s: int, leeway_s: int) -> bool:
    """§11.1: a proof is accepted once; its ``jti`` is kept until its ``iat`` is too old anyway."""
    expires = datetime.fromtimestamp(proof.iat, timezone.utc) + timedelta(seconds=max_age_s + leeway_s)
    return store.use_dpop_jti(proof.jkt, proof.jti, expires_at=expires)


class DpopNonces:
    """§8 server nonces without shared state: ``HMAC(key, window)`` for the current time window
    of ``window_s`` seconds, accepted during that window and the next one."""

    def __init__(self, key: bytes, *, window_s: int) -> None:
        self._key = key
        self._window_s = window_s

    def _for(self, window: int) -> str:
        mac = hmac.new(self._key, f"dpop-nonce:{window}".encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(mac).decode()

    def current(self, now: datetime) -> str:
        return self._for(int(now.timestamp()) // self._window_s)

    def valid(self, nonce: object, now: datetime) -> bool:
        if not isinstance(nonce, str):
            return False
        window = int(now.timestamp()) // self._window_s
        return any(hmac.compare_digest(nonce, self._for(w)) for w in (window, window - 1))
