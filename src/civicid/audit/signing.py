"""Which key signs the stored log's tree heads, and its rotation (:mod:`civicid.audit.log_keys`).

Key serial 1 is the key provider's Ed25519 key for ``transparency_log``; serial ``s`` later is its
key for ``transparency_log.<s>``. The rotations live in ``audit_log_keys``, each endorsed by the
key before it, so the database can neither add a key nor move one's start without it showing.
A rotation takes the log's tail, like a sequencer, so no head is signed with the old key after
the rotation's ``first_size``.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from civicid.audit.errors import KeyChainBroken, LogKeyMismatch
from civicid.audit.log_keys import ANCHOR_SERIAL, KeyChain, LogKey, endorse, raw_public_key
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.wire import b64
from civicid.vault.interfaces import KeyProvider

LOG_KEY_PURPOSE = "transparency_log"


def log_key_purpose(serial: int) -> str:
    return LOG_KEY_PURPOSE if serial == ANCHOR_SERIAL else f"{LOG_KEY_PURPOSE}.{serial}"


def anchor_key(keys: KeyProvider) -> Ed25519PublicKey:
    """The log's first key: the one verifiers pin."""
    return keys.signing_key(LOG_KEY_PURPOSE).public_key()


def load_chain(session: Session, keys: KeyProvider) -> KeyChain:
    return KeyChain.build(anchor_key(keys), SqlLogStore(session).log_keys())


def current_signing_key(keys: KeyProvider, chain: KeyChain) -> Ed25519PrivateKey:
    """The private key of the chain's newest valid key, from the provider."""
    serial, public = chain.current
    private = keys.signing_key(log_key_purpose(serial))
    if raw_public_key(private.public_key()) != raw_public_key(public):
        raise LogKeyMismatch(serial=serial)
    return private


def rotate_log_key(session: Session, keys: KeyProvider) -> LogKey:
    """Make the next key sign every head after the current size, endorsed by the current key."""
    store = SqlLogStore(session)
    store.lock_tail()
    chain = load_chain(session, keys)
    if chain.rejected is not None:
        raise KeyChainBroken(serial=chain.rejected.serial)
    current = current_signing_key(keys, chain)
    serial = chain.current[0] + 1
    successor = keys.signing_key(log_key_purpose(serial)).public_key()
    rotation = endorse(current, successor, serial=serial, first_size=store.size() + 1)
    store.add_log_key(rotation)
    return rotation


def key_chain_json(session: Session, keys: KeyProvider) -> dict:
    """What a verifier needs to check heads of every size: the first key (pin it) and each stored
    rotation, endorsed by the key before it; ``valid`` says whether the chain accepts it."""
    rotations = SqlLogStore(session).log_keys()
    chain = KeyChain.build(anchor_key(keys), rotations)
    accepted = len(chain.keys) - 1
    return {
        "algorithm": "Ed25519",
        "anchor": {"serial": ANCHOR_SERIAL, "public_key": b64(raw_public_key(anchor_key(keys))), "first_size": 0},
        "rotations": [{**rotation.to_json(), "valid": i < accepted} for i, rotation in enumerate(rotations)],
        "current_serial": chain.current[0],
    }
