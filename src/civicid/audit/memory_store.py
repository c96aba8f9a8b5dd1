"""An in-memory :class:`~civicid.audit.interfaces.LogStore` for tests, the bench and verification.

Hashes are packed into one ``bytearray`` per level (32 bytes per node) rather than a dict of
``bytes`` objects: a million-entry log costs ~64 MB of node hashes instead of several hundred.
"""

from __future__ import annotations

from array import array
from typing import Collection, Mapping, Sequence

from civicid.audit.errors import AppendConflict, CorruptStore
from civicid.audit.interfaces import StoredEntry
from civicid.audit.merkle import HASH_SIZE, NodeKey, node_hash
from civicid.audit.sth import SIGNATURE_SIZE


class MemoryNodes:
    """Perfect-subtree hashes by level, append-only per level (``set`` may also overwrite,
    which tests use to forge a node)."""

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    def count(self, level: int) -> int:
        return len(self._levels[level]) // HASH_SIZE if level < len(self._levels) else 0

    @property
    def height(self) -> int:
        return len(self._levels)

    def get(self, level: int, index: int) -> bytes | None:
        if level < 0 or index < 0 or index >= self.count(level):
            return None
        offset = index * HASH_SIZE
        return bytes(self._levels[level][offset : offset + HASH_SIZE])

    def set(self, level: int, index: int, digest: bytes) -> None:
        if len(digest) != HASH_SIZE:
            raise ValueError("a node hash is 32 bytes")
        while len(self._levels) <= level:
            self._levels.append(bytearray())
        row = self._levels[level]
        count = len(row) // HASH_SIZE
        if index == count:
            row += digest
        elif 0 <= index < count:
            row[index * HASH_SIZE : (index + 1) * HASH_SIZE] = digest
        else:
            raise CorruptStore(f"Node ({level}, {index}) would leave a gap in level {level}.")

    def get_many(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        found: dict[NodeKey, bytes] = {}
        for level, index in keys:
            digest = self.get(level, index)
            if digest is not None:
                found[(level, index)] = digest
        return found

    def append_leaf(self, digest: bytes) -> None:
        """Add the next leaf hash and every perfect subtree it completes (used to recompute)."""
        index = self.count(0)
        self.set(0, index, digest)
        level = 0
        while index & 1:
            left = self.get(level, index - 1)
            if left is None:
                raise CorruptStore(f"Node ({level}, {index - 1}) is missing.")
            digest = node_hash(left, digest)
            level, index = level + 1, index >> 1
            self.set(level, index, digest)


class MemoryLogStore:
    """Entries in columns (data list, packed timestamps, roots and signatures), nodes in
    :class:`MemoryNodes`. Single-threaded: ``append`` checks the index, like a primary key."""

    def __init__(self) -> None:
        self.nodes = MemoryNodes()
        self._data: list[bytes] = []
        self._timestamps = array("q")
        self._roots = bytearray()
        self._signatures = bytearray()

    def size(self) -> int:
        return len(self._data)

    def get_entries(self, start: int, stop: int) -> Sequence[StoredEntry]:
        start, stop = max(start, 0), min(stop, len(self._data))
        rows = []
        for index in range(start, stop):
            rows.append(
                StoredEntry(
                    index=index,
                    data=self._data[index],
                    timestamp_ms=self._timestamps[index],
                    root_hash=bytes(self._roots[index * HASH_SIZE : (index + 1) * HASH_SIZE]),
                    signature=bytes(self._signatures[index * SIGNATURE_SIZE : (index + 1) * SIGNATURE_SIZE]),
                )
            )
        return rows

    def get_nodes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        return self.nodes.get_many(keys)

    def get_node_range(self, level: int, start: int, stop: int) -> Mapping[int, bytes]:
        return {index: digest for index in range(max(start, 0), stop)
                if (digest := self.nodes.get(level, index)) is not None}

    def append(self, entries: Sequence[StoredEntry], nodes: Mapping[NodeKey, bytes]) -> None:
        if [entry.index for entry in entries] != list(range(len(self._data), len(self._data) + len(entries))):
            raise AppendConflict(f"Entries {[e.index for e in entries]} cannot follow {len(self._data)} entries.")
        if any(len(e.root_hash) != HASH_SIZE or len(e.signature) != SIGNATURE_SIZE for e in entries):
            raise CorruptStore("A stored head has a 32-byte root and a 64-byte signature.")
        for level in {level for level, _ in nodes}:
            indexes = sorted(index for lv, index in nodes if lv == level)
            first = self.nodes.count(level)
            if indexes != list(range(first, first + len(indexes))):
                raise CorruptStore(f"Nodes {indexes} are not the next nodes of level {level}.")
        if any(len(digest) != HASH_SIZE for digest in nodes.values()):
            raise CorruptStore("A node hash is 32 bytes.")
        for (level, index), digest in sorted(nodes.items()):
            self.nodes.set(level, index, digest)
        for entry in entries:
            self._data.append(bytes(entry.data))
            self._timestamps.append(entry.timestamp_ms)
            self._roots += entry.root_hash
            self._signatures += entry.signature
