"""A verifier or cosigner key whose base64 holds "+" (about half of all keys) still parses: the
name and the key ID end at the first two "+", as Go's note.NewVerifier cuts them."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.note import parse_verifier_key, verifier_key
from civicid.audit.witness import cosigner_vkey, parse_cosigner_vkey


def _key_with_plus(make) -> Ed25519PrivateKey:
    for seed in range(256):
        key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        if "+" in make(key).split("+", 2)[2]:
            return key
    raise AssertionError("no seed gives a base64 key with '+'")


def test_a_log_vkey_whose_key_holds_a_plus_round_trips():
    key = _key_with_plus(lambda k: verifier_key("log.example/log", k.public_key()))
    name, public = parse_verifier_key(verifier_key("log.example/log", key.public_key()))
    assert name == "log.example/log" and public.public_bytes_raw() == key.public_key().public_bytes_raw()


def test_a_cosigner_vkey_whose_key_holds_a_plus_round_trips():
    key = _key_with_plus(lambda k: cosigner_vkey("witness.example/w", k.public_key()))
    name, public = parse_cosigner_vkey(cosigner_vkey("witness.example/w", key.public_key()))
    assert name == "witness.example/w" and public.public_bytes_raw() == key.public_key().public_bytes_raw()
