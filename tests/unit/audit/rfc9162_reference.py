"""An independent reference for RFC 9162 §2.1, written from the recursive definitions only.

It deliberately imports nothing from ``civicid``: it is the yardstick the library is measured
against. Everything is recursive over a list of leaves, exactly as the RFC states it, and is
only meant for small trees.

    MTH({})   = HASH()                                                   §2.1.1
    MTH({d0}) = HASH(0x00 || d0)
    MTH(D_n)  = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])),  k < n <= 2k
    PATH(m, {d0}) = {}                                                   §2.1.3.1
    PATH(m, D_n)  = PATH(m, D[0:k]) : MTH(D[k:n])      if m < k
                  = PATH(m - k, D[k:n]) : MTH(D[0:k])  if m >= k
    PROOF(m, D_n) = SUBPROOF(m, D_n, true)                               §2.1.4.1
    SUBPROOF(m, D_m, true)  = {}
    SUBPROOF(m, D_m, false) = {MTH(D_m)}
    SUBPROOF(m, D_n, b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])           if m <= k
                        = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])   if m > k

The reference *verifiers* do not use the RFC's bit-twiddling algorithms (§2.1.3.2, §2.1.4.2)
that the library implements; they walk the same recursion backwards, consuming proof elements
from the end, so an error shared by both is unlikely.
"""

from __future__ import annotations

import hashlib
from typing import Sequence


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    if len(leaves) == 0:
        return sha256(b"")
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0])
    k = k_of(len(leaves))
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if not 0 <= m < len(leaves):
        raise ValueError("leaf not in tree")
    if len(leaves) == 1:
        return []
    k = k_of(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if not 0 < m <= len(leaves):
        raise ValueError("RFC 9162 defines PROOF for 0 < m <= n")
    return subproof(m, leaves, True)


def subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = k_of(n)
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


class _Reject(Exception):
    pass


def _node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def root_from_path(leaf_hash: bytes, m: int, n: int, proof_path: Sequence[bytes]) -> bytes | None:
    """Undo PATH: the root that ``proof_path`` implies for leaf m of a size-n tree, or None."""
    if not 0 <= m < n:
        return None
    remaining = list(proof_path)

    def walk(m: int, n: int) -> bytes:
        if n == 1:
            return leaf_hash
        if not remaining:
            raise _Reject
        sibling = remaining.pop()
        k = k_of(n)
        if m < k:
            return _node(walk(m, k), sibling)
        return _node(sibling, walk(m - k, n - k))

    try:
        root = walk(m, n)
    except _Reject:
        return None
    return None if remaining else root


def roots_from_proof(m: int, n: int, first_root: bytes, proof_path: Sequence[bytes]) -> tuple[bytes, bytes] | None:
    """Undo SUBPROOF: (old root, new root) implied by a PROOF(m, D_n), or None if malformed."""
    if not 0 < m <= n:
        return None
    remaining = list(proof_path)

    def walk(m: int, n: int, b: bool) -> tuple[bytes, bytes]:
        if m == n:
            if b:
                return first_root, first_root
            if not remaining:
                raise _Reject
            x = remaining.pop()
            return x, x
        if not remaining:
            raise _Reject
        k = k_of(n)
        last = remaining.pop()
        if m <= k:
            old, new = walk(m, k, b)
            return old, _node(new, last)
        old, new = walk(m - k, n - k, False)
        return _node(last, old), _node(last, new)

    try:
        result = walk(m, n, True)
    except _Reject:
        return None
    return None if remaining else result


def verify_inclusion(leaf_hash: bytes, m: int, n: int, proof_path: Sequence[bytes], root: bytes) -> bool:
    return root_from_path(leaf_hash, m, n, proof_path) == root


def verify_consistency(m: int, n: int, first_root: bytes, second_root: bytes, proof_path: Sequence[bytes]) -> bool:
    roots = roots_from_proof(m, n, first_root, proof_path)
    return roots == (first_root, second_root)
