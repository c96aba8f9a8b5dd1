"""``civicid.oidc.dpop``: RFC 9449 §4.3 proof checks for every accepted algorithm, the RFC 7638
thumbprint, and the stateless server nonces (§8), with time pinned."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from civicid.oidc.dpop import (DPOP_ALGS, DpopNonces, InvalidDpopProofError, UseDpopNonceError, b64url_sha256,
                               verify_proof)

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
URL = "https://id.example/oauth2/token"
KEYS = {"ES256": lambda: ECKey.generate_key("P-256"), "ES384": lambda: ECKey.generate_key("P-384"),
        "PS256": lambda: RSAKey.generate_key(2048), "EdDSA": lambda: OKPKey.generate_key("Ed25519")}


def proof(key, alg="ES256", **claims) -> str:
    body = {"jti": "j-1", "htm": "POST", "htu": URL, "iat": int(NOW.timestamp()), **claims}
    return jwt.encode({"typ": "dpop+jwt", "alg": alg, "jwk": key.as_dict(private=False)}, body, key,
                      algorithms=[alg])


def check(value: str, **kw):
    return verify_proof(value, method="POST", uri=URL, now=NOW, max_age_s=300, leeway_s=5, **kw)


@pytest.mark.parametrize("alg", DPOP_ALGS)
def test_every_advertised_algorithm_verifies_and_gives_the_rfc7638_thumbprint(alg):
    key = KEYS[alg]()
    checked = check(proof(key, alg))
    assert checked.jkt == key.thumbprint() and checked.jti == "j-1"


def test_htu_is_compared_without_query_and_fragment():
    key = KEYS["ES256"]()
    assert check(proof(key, htu=URL + "?x=1#y")).jkt == key.thumbprint()


def test_ath_must_be_the_access_tokens_hash():
    key = KEYS["ES256"]()
    assert check(proof(key, ath=b64url_sha256("at-1")), access_token="at-1")
    with pytest.raises(InvalidDpopProofError):
        check(proof(key, ath=b64url_sha256("at-2")), access_token="at-1")


def test_the_rfc9449_ath_example():
    # RFC 9449 §7.1: the access token "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU" has this ath
    assert b64url_sha256("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU") == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"


def test_nonces_last_their_window_and_the_next():
    nonces = DpopNonces(b"k" * 32, window_s=300)
    issued = nonces.current(NOW)
    assert nonces.valid(issued, NOW + timedelta(seconds=299 + 300 - NOW.timestamp() % 300))
    assert not nonces.valid(issued, NOW + timedelta(seconds=600))
    assert not DpopNonces(b"o" * 32, window_s=300).valid(issued, NOW)  # another key's nonce
    key = KEYS["ES256"]()
    with pytest.raises(UseDpopNonceError) as raised:
        check(proof(key), nonces=nonces)
    assert ("DPoP-Nonce", issued) in raised.value.get_headers()
    assert check(proof(key, nonce=issued), nonces=nonces)
