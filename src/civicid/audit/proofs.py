"""Merkle inclusion and consistency proofs, RFC 9162 §2.1.3 and §2.1.4.

Generation works against any :class:`~civicid.audit.interfaces.NodeReader`: each proof element
is MTH of a range the RFC's recursion names, and each such range is a fold of O(log n) stored
perfect-subtree hashes. Planning (which ranges) is pure arithmetic and is done first, so a proof
costs one batched node read.

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) follows the RFC's step lists
literally and needs nothing but SHA-256, so a browser or a third party can reimplement it line by
line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from civicid.audit.errors import CorruptStore, MalformedProof, OutOfRange
from civicid.audit.interfaces import NodeReader
from civicid.audit.merkle import EMPTY_ROOT, HASH_SIZE, NodeKey, fold, node_hash, perfect_subtrees, split_point
from civicid.audit.wire import b64, read_hash_list, read_int

MAX_PROOF_LENGTH = 64
"""No valid proof for a tree of fewer than 2**63 leaves is longer; bounds a verifier's work."""

Range = tuple[int, int]


# --- planning: which MTH(D[a:b]) make up a proof ---------------------------------------------


def inclusion_ranges(leaf_index: int, tree_size: int) -> tuple[Range, ...]:
    """The ranges whose MTH form PATH(m, D[n]), RFC 9162 §2.1.3.1, leaf-to-root order.

        "PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k; and
         PATH(m, D_n) = PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k"
    """
    if not 0 <= leaf_index < tree_size:
        raise OutOfRange(f"Leaf {leaf_index} is not in a tree of size {tree_size}.")
    top_down: list[Range] = []
    start, end = 0, tree_size
    while end - start > 1:
        k = split_point(end - start)
        if leaf_index - start < k:
            top_down.append((start + k, end))
            end = start + k
        else:
            top_down.append((start, start + k))
            start += k
    return tuple(reversed(top_down))


def consistency_ranges(first_size: int, second_size: int) -> tuple[Range, ...]:
    """The ranges whose MTH form PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1.

        "SUBPROOF(m, D[m], true) = {}
         SUBPROOF(m, D[m], false) = {MTH(D[m])}
         SUBPROOF(m, D_n, b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])       for m <= k
         SUBPROOF(m, D_n, b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) for m > k"

    Sizes 0 and ``first_size == second_size`` have the empty proof.
    """
    if not 0 <= first_size <= second_size:
        raise OutOfRange(f"No consistency proof from size {first_size} to size {second_size}.")
    if first_size == 0:
        return ()
    top_down: list[Range] = []
    start, end, m, complete = 0, second_size, first_size, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            top_down.append((start + k, end))
            end = start + k
        else:
            top_down.append((start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        top_down.append((start, end))
    return tuple(reversed(top_down))


# --- generation against stored node hashes ---------------------------------------------------


def range_hashes(reader: NodeReader, ranges: Sequence[Range]) -> tuple[bytes, ...]:
    """MTH of each range, from one batched read of the perfect subtrees they are made of."""
    plans = [perfect_subtrees(start, end) for start, end in ranges]
    wanted: set[NodeKey] = {key for plan in plans for key in plan}
    found = reader.get_nodes(wanted) if wanted else {}
    missing = wanted.difference(found)
    if missing:
        raise CorruptStore("Node hashes are missing from the store.", missing=sorted(missing)[:8])
    return tuple(fold([found[key] for key in plan]) for plan in plans)


def subtree_root(reader: NodeReader, tree_size: int) -> bytes:
    """MTH(D[0:tree_size]) from O(log n) stored hashes."""
    return range_hashes(reader, [(0, tree_size)])[0] if tree_size else EMPTY_ROOT


def inclusion_path(reader: NodeReader, leaf_index: int, tree_size: int) -> tuple[bytes, ...]:
    """PATH(leaf_index, D[tree_size]), RFC 9162 §2.1.3.1."""
    return range_hashes(reader, inclusion_ranges(leaf_index, tree_size))


def consistency_path(reader: NodeReader, first_size: int, second_size: int) -> tuple[bytes, ...]:
    """PROOF(first_size, D[second_size]), RFC 9162 §2.1.4.1."""
    return range_hashes(reader, consistency_ranges(first_size, second_size))


# --- verification: RFC 9162 §2.1.3.2 and §2.1.4.2, step by step ------------------------------


def _hash_ok(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _path_ok(path: object) -> bool:
    """A list or tuple of at most MAX_PROOF_LENGTH 32-byte hashes (anything else: not a proof)."""
    return isinstance(path, (list, tuple)) and len(path) <= MAX_PROOF_LENGTH and all(_hash_ok(p) for p in path)


def _size_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 64


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove that ``leaf_hash`` is leaf ``index`` of the tree
    of size ``tree_size`` whose root is ``root``? Never raises; malformed input is ``False``.

    1. If index >= tree_size, fail.          2. fn = index, sn = tree_size - 1.
    3. r = leaf_hash.
    4. For each p in path: a. if sn == 0, fail;
       b. if LSB(fn) or fn == sn: r = HASH(0x01 || p || r), then, if LSB(fn) is not set,
          right-shift fn and sn until LSB(fn) is set or fn == 0;
          otherwise: r = HASH(0x01 || r || p);
       c. right-shift fn and sn once.
    5. Succeed iff sn == 0 and r == root.
    """
    if not (_hash_ok(leaf_hash) and _hash_ok(root) and _size_ok(index) and _size_ok(tree_size)):
        return False
    if not _path_ok(path):
        return False
    if index >= tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first_size: int, second_size: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show that the tree of size ``second_size`` and root
    ``second_root`` extends the tree of size ``first_size`` and root ``first_root``? Never raises;
    malformed input (a size of 2**64 or more, a hash that is not 32 bytes, a path that is not a
    list or tuple of at most 64 of them) is ``False``.

    Outside the RFC's 0 < first < second: equal sizes need equal roots and an empty proof, and a
    first size of 0 needs the empty-tree root (SHA-256 of "") and an empty proof.

    1. If the proof is empty, fail.   2. If first is an exact power of 2, prepend first_root.
    3. fn = first - 1, sn = second - 1.   4. While LSB(fn): right-shift fn and sn.
    5. fr = sr = proof[0].
    6. For each later c: a. if sn == 0, fail;
       b. if LSB(fn) or fn == sn: fr = HASH(0x01 || c || fr), sr = HASH(0x01 || c || sr), then,
          if LSB(fn) is not set, right-shift fn and sn until LSB(fn) is set or fn == 0;
          otherwise: sr = HASH(0x01 || sr || c);
       c. right-shift fn and sn once.
    7. Succeed iff fr == first_root, sr == second_root and sn == 0.
    """
    if not (_hash_ok(first_root) and _hash_ok(second_root) and _size_ok(first_size) and _size_ok(second_size)):
        return False
    if not _path_ok(proof):
        return False
    if first_size > second_size:
        return False
    if first_size == second_size:
        return len(proof) == 0 and first_root == second_root
    if first_size == 0:
        return len(proof) == 0 and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first_size & (first_size - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --- wire form --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """RFC 9162 §4.12 InclusionProofDataV2 (without log_id); JSON uses the RFC's field names."""

    leaf_index: int
    tree_size: int
    path: tuple[bytes, ...]

    def verify(self, leaf_hash: bytes, root: bytes) -> bool:
        return verify_inclusion(leaf_hash, self.leaf_index, self.tree_size, self.path, root)

    def to_json(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "inclusion_path": [b64(p) for p in self.path],
        }

    @classmethod
    def from_json(cls, obj: Any) -> InclusionProof:
        if not isinstance(obj, dict):
            raise MalformedProof("An inclusion proof must be a JSON object.")
        return cls(
            leaf_index=read_int(obj, "leaf_index", MalformedProof),
            tree_size=read_int(obj, "tree_size", MalformedProof),
            path=read_hash_list(obj, "inclusion_path", MalformedProof, max_len=MAX_PROOF_LENGTH),
        )


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """RFC 9162 §4.13 ConsistencyProofDataV2 (without log_id): tree_size_1 → tree_size_2."""

    first_size: int
    second_size: int
    path: tuple[bytes, ...]

    def verify(self, first_root: bytes, second_root: bytes) -> bool:
        return verify_consistency(self.first_size, self.second_size, first_root, second_root, self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "tree_size_1": self.first_size,
            "tree_size_2": self.second_size,
            "consistency_path": [b64(p) for p in self.path],
        }

    @classmethod
    def from_json(cls, obj: Any) -> ConsistencyProof:
        if not isinstance(obj, dict):
            raise MalformedProof("A consistency proof must be a JSON object.")
        return cls(
            first_size=read_int(obj, "tree_size_1", MalformedProof),
            second_size=read_int(obj, "tree_size_2", MalformedProof),
            path=read_hash_list(obj, "consistency_path", MalformedProof, max_len=MAX_PROOF_LENGTH),
        )

