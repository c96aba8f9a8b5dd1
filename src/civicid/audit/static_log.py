"""The stored log as C2SP resources: its checkpoint, tiles and entry bundles (served under ``/log/``
by :mod:`civicid.web.routes.tlog`; see docs/transparency.md, "Tiles and checkpoints").

The checkpoint is signed on request with the log's current key, but only for a tree the log
already committed to: the head stored with the last entry must verify under the key chain, and
the root recomputed from the stored nodes (the ones the tiles are made of) must equal it. A
database changed behind CivicID's back therefore gets no fresh signature (``audit.tampered``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.audit.checkpoint import Checkpoint
from civicid.audit.errors import LogTampered
from civicid.audit.merkle import EMPTY_ROOT
from civicid.audit.note import SignedNote, verifier_key
from civicid.audit.signing import current_signing_key, load_chain
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.tiles import TileRef, read_entry_bundle, read_tile
from civicid.audit.tree import TransparencyLog
from civicid.vault.interfaces import KeyProvider


def committed_root(log: TransparencyLog, *, verifies) -> tuple[int, bytes]:
    """The log's size and root, checked against the head signed with its last entry."""
    size = log.size()
    if size == 0:
        return 0, EMPTY_ROOT
    head = log.entry(size - 1)
    if not verifies(head) or log.root(size) != bytes(head.root_hash):
        raise LogTampered()
    return size, bytes(head.root_hash)


def signed_checkpoint(session: Session, keys: KeyProvider, *, origin: str) -> SignedNote:
    """The latest checkpoint, signed by the log's current key under the name ``origin``."""
    chain = load_chain(session, keys)
    key = current_signing_key(keys, chain)
    log = TransparencyLog(SqlLogStore(session), key)
    size, root = committed_root(log, verifies=chain.verifies)
    return Checkpoint(origin, size, root).sign(key)


def checkpoint_verifier_key(session: Session, keys: KeyProvider, *, origin: str) -> str:
    """The signed-note verifier key of the checkpoints (changes with a log-key rotation)."""
    chain = load_chain(session, keys)
    return verifier_key(origin, chain.current[1])


def tile_bytes(session: Session, ref: TileRef) -> bytes:
    """A Merkle tile or an entry bundle of the stored log (``audit.out_of_range`` beyond its size)."""
    store = SqlLogStore(session)
    size = store.size()
    if ref.level is None:
        return read_entry_bundle(store, ref, tree_size=size)
    return read_tile(store, ref, tree_size=size)
