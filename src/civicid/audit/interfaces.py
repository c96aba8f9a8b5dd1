"""The storage hooks of the transparency log: one Protocol, two tables.

A store keeps

* ``entries``  — one row per leaf: ``index`` (primary key, 0, 1, 2, …), ``data`` (the leaf bytes),
  and the signed tree head for size ``index + 1`` made when the entry was appended:
  ``timestamp_ms``, ``root_hash`` (32 bytes), ``signature`` (64 bytes);
* ``nodes``    — one row per completed perfect subtree: ``(level, index)`` (primary key) → ``hash``
  (32 bytes). Rows are written once and never updated.

Nothing in a store is trusted: :mod:`civicid.audit.verify` recomputes everything from the entries
and the Ed25519 signatures. The store only has to be append-only and atomic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Mapping, Protocol, Sequence, runtime_checkable

from civicid.audit.merkle import NodeKey
from civicid.audit.sth import SignedTreeHead


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One row of ``entries``: a leaf and the head the log signed for size ``index + 1``.

    Built from storage, so it is not validated: a tampered row must still load, to be reported.
    """

    index: int
    data: bytes
    timestamp_ms: int
    root_hash: bytes
    signature: bytes

    @property
    def tree_size(self) -> int:
        """The size of the tree head stored with this entry (``index + 1``)."""
        return self.index + 1

    @property
    def head(self) -> SignedTreeHead:
        """The stored head as a validated :class:`SignedTreeHead` (raises ``audit.malformed_sth``)."""
        return SignedTreeHead(self.tree_size, self.timestamp_ms, self.root_hash, self.signature)


@runtime_checkable
class NodeReader(Protocol):
    def get_nodes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Hashes of the requested perfect subtrees; keys not stored are simply absent.

        A SQL store answers with one query, e.g. ``WHERE (level, idx) IN (...)`` (callers ask for
        O(log n) keys, or for consecutive runs of one level when auditing).
        """
        ...


@runtime_checkable
class LogStore(NodeReader, Protocol):
    def size(self) -> int:
        """Number of entries (``max(index) + 1``, or 0)."""
        ...

    def get_entries(self, start: int, stop: int) -> Sequence[StoredEntry]:
        """Entries with ``start <= index < stop`` that exist, in index order."""
        ...

    def append(self, entries: Sequence[StoredEntry], nodes: Mapping[NodeKey, bytes]) -> None:
        """Atomically insert ``entries`` (consecutive indexes, the first one ``size()``) and the
        ``nodes`` they completed (one transaction).

        Must raise :class:`civicid.audit.errors.AppendConflict` — and write nothing — if an entry
        with one of those indexes already exists (in SQL: the primary key violation of a
        concurrent writer, rolled back to a savepoint). The log then re-reads and retries, so
        concurrent API replicas never fork the tree.
        """
        ...
