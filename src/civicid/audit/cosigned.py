"""Publishing witnessed checkpoints: the log keeps the newest checkpoint its configured witnesses
cosigned (:mod:`civicid.audit.witness`) and serves it at ``/log/cosigned-checkpoint``.

Anyone may hand one in (``POST /log/cosigned-checkpoint``): the signatures are the credential. It
is kept only if the log's current key signed it, its root is the log's own root of that size,
and at least one configured witness (``CIVICID_LOG_WITNESSES``, cosigner vkeys) cosigned it; only
the log's signature and those witnesses' cosignatures are kept. A newer tree replaces the kept
one; the same tree merges the cosignatures.

Storage is the ``audit_cosigned`` table, one row per log origin, so every replica serves the same
checkpoint whatever disk it runs on. Two replicas handed checkpoints at once take turns (a
PostgreSQL advisory lock for the rest of the transaction; SQLite's ``BEGIN IMMEDIATE`` already
makes writers take turns), so a newer checkpoint is never overwritten by an older one, and the
cosignatures of the same tree from two witnesses are merged, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from civicid.audit.checkpoint import Checkpoint, open_checkpoint
from civicid.audit.errors import AuditError, OutOfRange
from civicid.audit.models import CosignedCheckpoint
from civicid.audit.note import SignedNote, key_id, parse_note
from civicid.audit.signing import current_signing_key, load_chain
from civicid.audit.sql_store import SqlLogStore
from civicid.audit.tree import TransparencyLog
from civicid.audit.witness import cosigned_at, cosigner_key_id, parse_cosigner_vkey
from civicid.vault.interfaces import KeyProvider


class NotCosigned(AuditError):
    code = "audit.not_cosigned"
    default_message = "The checkpoint carries no valid cosignature of a witness this log knows."


class NoCosignedCheckpoint(AuditError):
    code = "audit.no_cosigned_checkpoint"
    status = 404
    default_message = "No witness has cosigned a checkpoint of this log yet."


# Any constant shared by every replica: the key of PostgreSQL's advisory lock on the kept checkpoint.
COSIGNED_LOCK_KEY = 0x43495649_434F53  # "CIVI" "COS"


class CosignedStore(Protocol):
    def lock(self) -> None: ...
    def load(self) -> str | None: ...
    def save(self, note: str, *, tree_size: int) -> None: ...


class SqlCosignedStore:
    """The kept checkpoint of ``origin`` in ``audit_cosigned``, inside the caller's transaction."""

    def __init__(self, session: Session, origin: str) -> None:
        self._session = session
        self._origin = origin

    def lock(self) -> None:
        """Hold the kept checkpoint until the transaction ends (read, compare, write take turns)."""
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(sa.select(sa.func.pg_advisory_xact_lock(COSIGNED_LOCK_KEY)))

    def load(self) -> str | None:
        return self._session.scalar(sa.select(CosignedCheckpoint.note).where(CosignedCheckpoint.origin == self._origin))

    def save(self, note: str, *, tree_size: int) -> None:
        dialect = self._session.get_bind().dialect.name
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = insert(CosignedCheckpoint).values(origin=self._origin, tree_size=tree_size, note=note)
        self._session.execute(statement.on_conflict_do_update(
            index_elements=[CosignedCheckpoint.origin], set_={"tree_size": tree_size, "note": note}))


def witness_keys(setting: str) -> list[tuple[str, Ed25519PublicKey]]:
    """The cosigner vkeys of ``CIVICID_LOG_WITNESSES`` (comma-separated)."""
    return [parse_cosigner_vkey(vkey) for vkey in setting.split(",") if vkey.strip()]


def accept_cosigned(session: Session, keys: KeyProvider, store: CosignedStore, note: str | bytes, *, origin: str,
                    witnesses: Sequence[tuple[str, Ed25519PublicKey]]) -> SignedNote:
    """Check a cosigned checkpoint and keep it if it is newer than (or as new as) the kept one."""
    key = current_signing_key(keys, load_chain(session, keys))
    checkpoint, signed = open_checkpoint(note, origin=origin, public_key=key.public_key())
    log = TransparencyLog(SqlLogStore(session), key)
    if checkpoint.tree_size > log.size() or log.root(checkpoint.tree_size) != checkpoint.root_hash:
        raise OutOfRange("The checkpoint is not one of this log's trees.")
    log_id = key_id(origin, key.public_key())
    kept = [s for s in signed.signatures if s.name == origin and s.key_id == log_id]
    cosigned = [s for name, wkey in witnesses if cosigned_at(signed, name=name, public_key=wkey) is not None
                for s in signed.signatures if s.name == name and s.key_id == cosigner_key_id(name, wkey)]
    if not cosigned:
        raise NotCosigned()
    store.lock()
    previous = store.load()
    if previous is not None:
        old = parse_note(previous)
        old_checkpoint = Checkpoint.from_text(old.text)
        if old_checkpoint.tree_size > checkpoint.tree_size:
            return old
        if old_checkpoint == checkpoint:
            names = {(s.name, s.key_id) for s in cosigned}
            cosigned += [s for s in old.signatures if s.name != origin and (s.name, s.key_id) not in names
                         and any(s.name == n and s.key_id == cosigner_key_id(n, k) for n, k in witnesses)]
    result = SignedNote(signed.text, (*kept[:1], *cosigned))
    store.save(result.dumps(), tree_size=checkpoint.tree_size)
    return result


@dataclass(frozen=True, slots=True)
class WitnessedHead:
    """How many configured witnesses vouch for the kept checkpoint, and its tree size."""

    tree_size: int
    witnesses: int


def witnessed_head(store: CosignedStore, *, witnesses: Sequence[tuple[str, Ed25519PublicKey]]) -> WitnessedHead | None:
    """The kept checkpoint's witnesses, counted by their valid cosignatures (checked again: the
    configured witnesses may have changed since it was kept); ``None`` before any was kept."""
    note = store.load()
    if note is None:
        return None
    signed = parse_note(note)
    vouching = {name for name, key in witnesses if cosigned_at(signed, name=name, public_key=key) is not None}
    return WitnessedHead(Checkpoint.from_text(signed.text).tree_size, len(vouching))


def latest_cosigned(store: CosignedStore) -> str:
    note = store.load()
    if note is None:
        raise NoCosignedCheckpoint()
    return note
