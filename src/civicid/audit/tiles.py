"""Tiles and entry bundles (C2SP tlog-tiles, https://c2sp.org/tlog-tiles) from the log's store.

A tile at level ``L``, index ``N`` holds the Merkle Tree Hashes
``MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L])`` for ``i`` below its width: exactly the
perfect-subtree hashes the store keeps at tree level ``8*L`` (:mod:`civicid.audit.merkle`; the
hashing is RFC 6962's in both), so a tile is one read of up to 256 stored nodes. An entry bundle
holds the same range's leaves at level 0, each as a big-endian uint16 length and the bytes.

Paths (relative to the log's prefix): ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``,
``N`` in zero-padded 3-digit elements, all but the last prefixed with ``x`` (``1234067`` is
``x001/x234/067``). A full tile (256 wide) never changes; a partial one of width ``W`` neither,
but it is superseded once the full tile exists.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from civicid.audit.errors import AuditError, CorruptStore, OutOfRange
from civicid.audit.interfaces import LogStore, NodeReader

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
ENTRIES = "entries"
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_ELEMENT = re.compile(r"x?[0-9]{3}")


class BadTilePath(AuditError):
    code = "audit.bad_tile_path"
    status = 404
    default_message = "There is no such tile path (tlog-tiles: tile/<L>/<N>[.p/<W>])."


class TileNotFound(OutOfRange):
    """A tile or bundle the log has not reached yet: 404, as a static host would answer."""

    code = "audit.no_such_tile"
    status = 404
    default_message = "The log does not have this tile yet."


@dataclass(frozen=True, slots=True)
class TileRef:
    """A tile (``level`` >= 0) or an entry bundle (``level`` None), ``index`` and ``width``."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def hash_level(self) -> int:
        """The tree level of the hashes in the tile (entry bundles: the leaves, level 0)."""
        return 0 if self.level is None else TILE_HEIGHT * self.level

    @property
    def first(self) -> int:
        """Index of the first hash (at :attr:`hash_level`) in the tile."""
        return self.index * TILE_WIDTH

    def needs_tree_size(self) -> int:
        """The smallest tree that holds every hash of the tile."""
        return (self.first + self.width) << self.hash_level

    def path(self) -> str:
        level = ENTRIES if self.level is None else str(self.level)
        return f"tile/{level}/{encode_index(self.index)}" + ("" if self.full else f".p/{self.width}")


def encode_index(n: int) -> str:
    """``1234067`` → ``x001/x234/067`` (tlog-tiles "Merkle Tree")."""
    if n < 0:
        raise ValueError("a tile index is not negative")
    elements = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        elements.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(elements))


def parse_tile_path(path: str) -> TileRef:
    """The tile named by ``path`` (what follows ``<prefix>/tile/``); only canonical spellings."""
    parts = path.split("/")
    width = TILE_WIDTH
    if len(parts) >= 3 and parts[-2].endswith(".p"):
        if not _WIDTH.fullmatch(parts[-1]) or not 1 <= int(parts[-1]) < TILE_WIDTH:
            raise BadTilePath()
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2][:-2]]
    if len(parts) < 2 or len(parts) > 9:
        raise BadTilePath()
    head, elements = parts[0], parts[1:]
    if head == ENTRIES:
        level = None
    elif _LEVEL.fullmatch(head) and int(head) <= MAX_LEVEL:
        level = int(head)
    else:
        raise BadTilePath()
    if not all(_ELEMENT.fullmatch(e) for e in elements) or any(e[0] != "x" for e in elements[:-1]) \
            or elements[-1][0] == "x":
        raise BadTilePath()
    index = int("".join(e.lstrip("x") for e in elements))
    ref = TileRef(level, index, width)
    if ref.path() != "tile/" + path:  # x000/001 and the like: one spelling per tile
        raise BadTilePath()
    return ref


def _require(ref: TileRef, tree_size: int) -> None:
    if ref.needs_tree_size() > tree_size:
        raise TileNotFound(f"The log has {tree_size} entries; {ref.path()} needs {ref.needs_tree_size()}.")


def read_tile(store: NodeReader, ref: TileRef, *, tree_size: int) -> bytes:
    """The concatenated hashes of a Merkle tile of a tree of ``tree_size`` (or bigger)."""
    if ref.level is None:
        raise ValueError("an entry bundle is read with read_entry_bundle")
    _require(ref, tree_size)
    node_range = getattr(store, "get_node_range", None)  # the stores' one range read, when they have it
    if node_range is not None:
        found = node_range(ref.hash_level, ref.first, ref.first + ref.width)
        indexes = range(ref.first, ref.first + ref.width)
    else:
        found = store.get_nodes([(ref.hash_level, ref.first + i) for i in range(ref.width)])
        indexes = [(ref.hash_level, ref.first + i) for i in range(ref.width)]
    try:
        return b"".join(found[index] for index in indexes)
    except KeyError as missing:
        key = missing.args[0] if node_range is None else (ref.hash_level, missing.args[0])
        raise CorruptStore(f"Node {key} is missing from the store.") from None


def read_entry_bundle(store: LogStore, ref: TileRef, *, tree_size: int) -> bytes:
    """The bundle of entries ``[first, first + width)``: uint16 length-prefixed leaves."""
    if ref.level is not None:
        raise ValueError("a Merkle tile is read with read_tile")
    _require(ref, tree_size)
    entries = store.get_entries(ref.first, ref.first + ref.width)
    if [e.index for e in entries] != list(range(ref.first, ref.first + ref.width)):
        raise CorruptStore(f"Entries of {ref.path()} are missing from the store.")
    out = bytearray()
    for entry in entries:
        data = bytes(entry.data)
        if len(data) > 0xFFFF:
            raise CorruptStore(f"Entry {entry.index} is longer than an entry bundle can carry.")
        out += struct.pack(">H", len(data)) + data
    return bytes(out)


def split_entry_bundle(bundle: bytes) -> list[bytes]:
    """The leaves of an entry bundle (the inverse of :func:`read_entry_bundle`)."""
    leaves, at = [], 0
    while at < len(bundle):
        if at + 2 > len(bundle):
            raise BadTilePath("The entry bundle ends inside a length.")
        (size,) = struct.unpack_from(">H", bundle, at)
        if at + 2 + size > len(bundle):
            raise BadTilePath("The entry bundle ends inside an entry.")
        leaves.append(bundle[at + 2 : at + 2 + size])
        at += 2 + size
    return leaves
