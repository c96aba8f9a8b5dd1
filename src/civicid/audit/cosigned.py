"""Publishing witnessed checkpoints: the log keeps the newest checkpoint its configured witnesses
cosigned (:mod:`civicid.audit.witness`) and serves it at ``/log/cosigned-checkpoint``.

Anyone may hand one in (``POST /log/cosigned-checkpoint``): the signatures are the credential. It
is kept only if the log's current key signed it, its root is the log's own root of that size,
and at least one configured witness (``CIVICID_LOG_WITNESSES``, cosigner vkeys) cosigned it; only
the log's signature and those witnesses' cosignatures are kept. A newer tree replaces the kept
one; the same tree merges the cosignatures.

Storage is a file under ``CIVICID_HOME`` (``transparency/cosigned-checkpoint``), written by
rename: replicas that share the home share it. A table would serve replicas on separate disks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from civicid.audit.checkpoint import Checkpoint, open_checkpoint
from civicid.audit.errors import AuditError, OutOfRange
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


class CosignedStore(Protocol):
    def load(self) -> str | None: ...
    def save(self, note: str) -> None: ...


class FileCosignedStore:
    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> str | None:
        return self._path.read_text(encoding="utf-8") if self._path.exists() else None

    def save(self, note: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".tmp")
        tmp.write_text(note, encoding="utf-8")
        tmp.replace(self._path)


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
    store.save(result.dumps())
    return result


def latest_cosigned(store: CosignedStore) -> str:
    note = store.load()
    if note is None:
        raise NoCosignedCheckpoint()
    return note
