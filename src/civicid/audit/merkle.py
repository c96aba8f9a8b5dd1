"""Merkle Tree Hash of RFC 9162 §2.1.1, and the perfect-subtree arithmetic the log is stored in.

RFC 9162 §2.1.1 (https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1):

    "The hash of an empty list is the hash of an empty string:  MTH({}) = HASH().
     The hash of a list with one entry (also known as a leaf hash) is:
         MTH({d[0]}) = HASH(0x00 || d[0]).
     For n > 1, let k be the largest power of two smaller than n (i.e., k < n <= 2k).
     The Merkle Tree Hash of an n-element list D_n is then defined recursively as
         MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))"

HASH is SHA-256. Storage model: a *perfect subtree* ``(level, index)`` covers the ``2**level``
leaves ``[index * 2**level, (index + 1) * 2**level)``; its hash is stored once, when its last leaf
is appended, and never changes. Every range the RFC's recursion produces splits into O(log n)
perfect subtrees (:func:`perfect_subtrees`), so any root or proof element of any historical size
is a right fold (:func:`fold`) of O(log n) stored hashes.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = HASH(), RFC 9162 §2.1.1."""

NodeKey = tuple[int, int]
"""``(level, index)`` of a perfect subtree; level 0 is a leaf hash."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = HASH(0x00 || d), RFC 9162 §2.1.1."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right), the interior node of RFC 9162 §2.1.1."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The RFC's k: the largest power of two smaller than ``n`` (k < n <= 2k), for n >= 2."""
    if n < 2:
        raise ValueError(f"split_point needs n >= 2, got {n}")
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> tuple[NodeKey, ...]:
    """The perfect subtrees that make up leaves ``[start, end)``, left to right, largest first.

    MTH(D[start:end]) equals :func:`fold` of their hashes: the RFC splits at the largest power of
    two k < n, so the left part is always perfect and the recursion continues on the right. The
    range must be one the RFC recursion can produce, i.e. ``start`` is a multiple of a power of two
    that is at least ``end - start`` (always true for ``start == 0``).
    """
    if not 0 <= start <= end:
        raise ValueError(f"bad range [{start}, {end})")
    keys: list[NodeKey] = []
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        width = 1 << level
        if start % width:
            raise ValueError(f"range [{start}, {end}) is not aligned to the tree")
        keys.append((level, start >> level))
        start += width
        remaining -= width
    return tuple(keys)


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold with :func:`node_hash`: ``H(h0, H(h1, ... H(h[-2], h[-1])))``; empty → EMPTY_ROOT."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc

