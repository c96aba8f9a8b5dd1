"""The append-only transparency log: a Merkle tree (RFC 9162 §2.1) over a :class:`LogStore`,
signing a tree head (RFC 9162 §4.10) for every entry it appends.

Cost model (n = log size, all independent of history):

* append: one read of the O(log n) perfect subtrees on the tree's right edge, O(log n) hashes
  (amortised 2), one Ed25519 signature, one atomic write of the entry and the nodes it completed;
  a run of k entries (``append_leaves``) costs one read and one write, k signatures;
* root, inclusion proof, consistency proof for *any* tree size <= n: one read of O(log n) nodes.

The whole tree is never recomputed; only :mod:`civicid.audit.verify` does that, on purpose.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicid.audit.errors import AppendConflict, CorruptStore, OutOfRange
from civicid.audit.events import LogEvent
from civicid.audit.interfaces import LogStore, StoredEntry
from civicid.audit.merkle import EMPTY_ROOT, NodeKey, fold, leaf_hash, node_hash, perfect_subtrees
from civicid.audit.proofs import ConsistencyProof, InclusionProof, consistency_path, inclusion_path, subtree_root
from civicid.audit.sth import SignedTreeHead, sign_tree_head


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an entry landed: its index, its leaf hash and the head signed for size index + 1."""

    index: int
    leaf_hash: bytes
    head: SignedTreeHead


class TransparencyLog:
    """Appends entries and answers for tree heads and proofs.

    ``private_key`` comes from the key provider; ``clock_ms`` (milliseconds since the epoch) is
    injected so tests can pin time. Safe to share between API replicas: concurrent appends race
    on the store's primary key and the loser retries (up to ``max_attempts``).
    """

    def __init__(
        self,
        store: LogStore,
        private_key: Ed25519PrivateKey,
        *,
        clock_ms: Callable[[], int] = wall_clock_ms,
        max_attempts: int = 8,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._store = store
        self._key = private_key
        self._clock_ms = clock_ms
        self._max_attempts = max_attempts

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    # --- writing ------------------------------------------------------------------------------

    def append(self, event: LogEvent) -> AppendResult:
        """Append one event (its canonical bytes are the leaf)."""
        return self.append_leaf(event.to_bytes())

    def append_leaf(self, data: bytes) -> AppendResult:
        """Append raw leaf bytes; sign and store the tree head for the new size with the entry."""
        return self.append_leaves([data])[0]

    def append_leaves(self, leaves: Sequence[bytes]) -> list[AppendResult]:
        """Append a run of leaves in one write, signing a tree head for every new size, so each
        entry still carries the head of the tree it completed."""
        if not leaves:
            return []
        for _ in range(self._max_attempts):
            start = self._store.size()
            right_edge = self._read(perfect_subtrees(0, start))
            completed: dict[NodeKey, bytes] = {}
            entries, results = [], []
            for size, data in enumerate(leaves, start):
                digest = leaf_hash(data)
                completed[(0, size)] = digest
                # The trailing 1 bits of `size` are the perfect subtrees the new leaf completes;
                # their left halves are the smallest subtrees on the right edge, popped smallest first.
                acc, level, index = digest, 0, size
                while index & 1:
                    acc = node_hash(right_edge.pop(), acc)
                    level, index = level + 1, index >> 1
                    completed[(level, index)] = acc
                right_edge.append(acc)
                head = sign_tree_head(
                    self._key, tree_size=size + 1, timestamp_ms=self._clock_ms(), root_hash=fold(right_edge)
                )
                entries.append(StoredEntry(size, data, head.timestamp_ms, head.root_hash, head.signature))
                results.append(AppendResult(index=size, leaf_hash=digest, head=head))
            try:
                self._store.append(entries, completed)
            except AppendConflict:
                continue
            return results
        raise AppendConflict(f"Gave up after {self._max_attempts} concurrent append conflicts.")

    # --- reading ------------------------------------------------------------------------------

    def size(self) -> int:
        return self._store.size()

    def root(self, tree_size: int | None = None) -> bytes:
        """MTH of the first ``tree_size`` entries (default: all), from O(log n) stored nodes."""
        return subtree_root(self._store, self._size_or_latest(tree_size))

    def entry(self, index: int) -> StoredEntry:
        rows = self._store.get_entries(index, index + 1)
        if index < 0 or not rows:
            raise OutOfRange(f"There is no entry {index}.")
        return rows[0]

    def entries(self, start: int, stop: int) -> Sequence[StoredEntry]:
        return self._store.get_entries(start, stop)

    def signed_tree_head(self, tree_size: int | None = None) -> SignedTreeHead:
        """The head signed when the tree reached ``tree_size`` (default: the latest).

        The empty log has no stored head; one is signed on request for size 0.
        """
        size = self._size_or_latest(tree_size)
        if size == 0:
            return sign_tree_head(self._key, tree_size=0, timestamp_ms=self._clock_ms(), root_hash=EMPTY_ROOT)
        return self.entry(size - 1).head

    def inclusion_proof(self, leaf_index: int, tree_size: int | None = None) -> InclusionProof:
        size = self._size_or_latest(tree_size)
        return InclusionProof(leaf_index, size, inclusion_path(self._store, leaf_index, size))

    def consistency_proof(self, first_size: int, second_size: int | None = None) -> ConsistencyProof:
        second = self._size_or_latest(second_size)
        return ConsistencyProof(first_size, second, consistency_path(self._store, first_size, second))

    # --- helpers ------------------------------------------------------------------------------

    def _size_or_latest(self, tree_size: int | None) -> int:
        size = self._store.size()
        if tree_size is None:
            return size
        if not 0 <= tree_size <= size:
            raise OutOfRange(f"The log has {size} entries; there is no tree of size {tree_size}.")
        return tree_size

    def _read(self, keys: Sequence[NodeKey]) -> list[bytes]:
        found = self._store.get_nodes(keys) if keys else {}
        try:
            return [found[key] for key in keys]
        except KeyError as missing:
            raise CorruptStore(f"Node {missing.args[0]} is missing from the store.") from None
