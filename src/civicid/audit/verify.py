"""Audit a whole log: is every stored entry exactly what the log signed, and where does it break?

A database administrator can rewrite entries, node hashes and stored heads, but cannot sign. So
the only evidence is Ed25519 signatures over tree heads (:mod:`civicid.audit.sth`), and the log
stores one with every entry: the head for size ``i + 1`` beside entry ``i``. The verifier
recomputes the Merkle tree from the entries (RFC 9162 §2.1.2, "Verifying a Tree Head Given
Entries") and compares:

* a head is *valid* iff its ``tree_size`` is ``i + 1``, its signature verifies, and its root equals
  the root recomputed from ``entries[:i + 1]``; a valid head proves ``entries[:i + 1]`` authentic;
* editing, deleting, inserting or reordering entries from index j on invalidates every head
  >= j (the signed roots no longer match, and a rewritten root no longer verifies), so j is the
  first bad index;
* truncation leaves a consistent shorter log; only a previously saved head (``since``) shows it.

``check_every_head=True`` (the default) verifies every signature: O(n) signatures (~90 µs each),
and it finds *every* kind of damage, including a single corrupted head row in an intact log.
``check_every_head=False`` verifies O(log n) signatures by bisection: the latest head first, then,
if that fails, a binary search for the boundary between valid and invalid heads. It proves the
entries before the reported index authentic and the reported index bad, but if head rows were
damaged *individually* (not just entries) the reported index may not be the first bad one, and a
damaged head below an intact latest head goes unnoticed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicid.audit.interfaces import LogStore
from civicid.audit.memory_store import MemoryNodes
from civicid.audit.merkle import EMPTY_ROOT, HASH_SIZE, fold, leaf_hash, node_hash, perfect_subtrees
from civicid.audit.log_keys import KeyChain, LogKey
from civicid.audit.sth import SignedTreeHead, TreeHeadLike


class ProblemCode(StrEnum):
    ENTRY_MISMATCH = "audit.entry_mismatch"
    """A validly signed head's root differs from the root recomputed from the stored entries."""
    BAD_SIGNATURE = "audit.bad_signature"
    """A stored head's signature does not verify under the log key for its size."""
    MISPLACED_HEAD = "audit.misplaced_head"
    """The head stored with entry i is not for tree size i + 1 (rows moved)."""
    MISSING_HEAD = "audit.missing_head"
    """Entries without a stored head: nothing attests them."""
    MISSING_ENTRY = "audit.missing_entry"
    """Stored heads for entries that are gone."""
    TRUNCATED = "audit.truncated"
    """The log is shorter than a head saved earlier."""
    INCONSISTENT_WITH_SAVED_HEAD = "audit.inconsistent_with_saved_head"
    """The log's prefix does not have the root of a head saved earlier."""
    BAD_SAVED_HEAD = "audit.bad_saved_head"
    """The saved head itself does not verify under this public key."""
    NODE_MISMATCH = "audit.node_mismatch"
    """A stored node hash differs from the recomputed one (proofs served from it would fail)."""
    BAD_KEY_CHAIN = "audit.bad_key_chain"
    """A stored log-key rotation is not endorsed by the key before it (:mod:`civicid.audit.log_keys`)."""
    COLUMN_MISMATCH = "audit.column_mismatch"
    """A lookup column (``citizen_ref``, ``tag``) disagrees with the signed leaf it was derived from."""
    PENDING_FORGED = "audit.pending_forged"
    """An outbox row's MAC does not verify: it was written or changed outside CivicID."""


@dataclass(frozen=True, slots=True)
class Problem:
    code: ProblemCode
    message: str
    index: int | None = None
    """The entry index the problem is pinned to, if any."""


@dataclass(frozen=True, slots=True)
class LogVerification:
    ok: bool
    tree_size: int
    """Number of entries examined."""
    root_hash: bytes
    """MTH recomputed from the entries."""
    first_bad_index: int | None
    """First entry index not proven authentic, or None (also None when a problem cannot be
    pinned to an entry, e.g. a saved head that forks from a log whose own heads all verify)."""
    problems: tuple[Problem, ...]
    """The first occurrence of each kind of problem, earliest first."""
    signatures_checked: int


class _Findings:
    """Keeps the earliest problem of each code and how often each code occurred."""

    def __init__(self) -> None:
        self.first: dict[ProblemCode, Problem] = {}
        self.counts: dict[ProblemCode, int] = {}

    def add(self, problem: Problem) -> None:
        self.counts[problem.code] = self.counts.get(problem.code, 0) + 1
        current = self.first.get(problem.code)
        if current is None or (problem.index is not None and (current.index is None or problem.index < current.index)):
            self.first[problem.code] = problem

    def problems(self) -> tuple[Problem, ...]:
        out = []
        for code, problem in self.first.items():
            extra = self.counts[code] - 1
            if extra:
                problem = Problem(code, f"{problem.message} ({extra} more like this)", problem.index)
            out.append(problem)
        out.sort(key=lambda p: (p.index is None, p.index if p.index is not None else 0, p.code.value))
        return tuple(out)

    def first_index(self) -> int | None:
        indices = [p.index for p in self.first.values() if p.index is not None]
        return min(indices) if indices else None


def add_problems(result: LogVerification, extra: Sequence[Problem]) -> LogVerification:
    """``result`` with ``extra`` findings of other checks (the database's lookup columns and outbox,
    :mod:`civicid.audit.db_verify`), summarised per code like the log's own."""
    if not extra:
        return result
    findings = _Findings()
    for problem in (*result.problems, *extra):
        findings.add(problem)
    return dataclasses.replace(result, ok=False, first_bad_index=findings.first_index(),
                               problems=findings.problems())


def _head_problem(i: int, head: TreeHeadLike, root: bytes, chain: KeyChain) -> Problem | None:
    """Why stored head ``i`` (for size i + 1) is not valid, or None. One signature check."""
    size = getattr(head, "tree_size", None)
    if size != i + 1:
        message = f"The head stored at index {i} is for tree size {size}, not {i + 1}."
        return Problem(ProblemCode.MISPLACED_HEAD, message, i)
    if not chain.verifies(head):
        return Problem(ProblemCode.BAD_SIGNATURE, f"The tree head for size {i + 1} is not signed by the log key.", i)
    if head.root_hash != root:
        return Problem(
            ProblemCode.ENTRY_MISMATCH,
            f"Entries up to index {i} differ from what the log signed for tree size {i + 1}.",
            i,
        )
    return None


def verify_log(
    entries: Sequence[bytes],
    stored_heads: Sequence[TreeHeadLike],
    public_key: Ed25519PublicKey,
    *,
    since: SignedTreeHead | None = None,
    check_every_head: bool = True,
    rotations: Sequence[LogKey] = (),
) -> LogVerification:
    """Recompute the tree from ``entries`` and check the heads stored beside them (see module doc).

    ``stored_heads[i]`` is the head stored with ``entries[i]`` (tree size i + 1). ``since`` is a
    head saved earlier (e.g. by ``civicid audit sth > FILE``): the log must still contain its
    tree, unchanged. ``public_key`` is the log's first key (the one verifiers pin); ``rotations``
    the stored log-key rotations, checked from it (:mod:`civicid.audit.log_keys`).
    """
    nodes = MemoryNodes() if not check_every_head else None
    chain = KeyChain.build(public_key, rotations)
    result, _ = _verify(entries, stored_heads, chain, since=since, check_every_head=check_every_head, nodes=nodes)
    return result


def verify_store(
    store: LogStore,
    public_key: Ed25519PublicKey,
    *,
    since: SignedTreeHead | None = None,
    check_every_head: bool = True,
    batch_size: int = 10_000,
    node_batch_size: int = 500,
    rotations: Sequence[LogKey] = (),
) -> LogVerification:
    """:func:`verify_log` over everything in ``store``, plus every stored node hash compared with
    the recomputed tree (``audit.node_mismatch``, pinned to the node's first leaf).

    Entries are read ``batch_size`` indices at a time up to ``store.size()``. A missing index (a
    deleted row) is ``audit.missing_entry`` there; the entries after it commit to the missing one,
    so only the entries before it are examined. Node keys are read ``node_batch_size`` at a time
    (two bound parameters each, well under SQLite's limit)."""
    size = store.size()
    data, heads, gap = _read_entries(store, size, batch_size)
    nodes = MemoryNodes()
    chain = KeyChain.build(public_key, rotations)
    result, findings = _verify(data, heads, chain, since=since, check_every_head=check_every_head, nodes=nodes)
    if gap is not None:
        findings.add(Problem(ProblemCode.MISSING_ENTRY,
                             f"Entry {gap} is missing from the {size} index positions; the {size - gap - 1} after it "
                             "commit to it and cannot be checked.", gap))
    # Nodes are recomputed from the entries as stored, so a node over a tampered entry differs
    # without being forged itself. Only nodes wholly before the first bad entry, whose leaves are
    # proven genuine, can be shown to be forged.
    proven = result.tree_size if result.first_bad_index is None else result.first_bad_index
    first_forged: int | None = None
    for level in range(nodes.height):
        count = min(nodes.count(level), proven >> level)
        for start in range(0, count, node_batch_size):
            keys = [(level, index) for index in range(start, min(start + node_batch_size, count))]
            stored = store.get_nodes(keys)
            for key in keys:
                if stored.get(key) != nodes.get(*key):
                    leaf = key[1] << key[0]
                    if first_forged is None or leaf < first_forged:
                        first_forged = leaf
                    findings.add(
                        Problem(
                            ProblemCode.NODE_MISMATCH,
                            f"Stored node (level {key[0]}, index {key[1]}), over entries from {leaf}, "
                            "is wrong or missing.",
                            leaf,
                        )
                    )
    if first_forged is None and gap is None:
        return result
    return LogVerification(
        ok=False,
        tree_size=result.tree_size,
        root_hash=result.root_hash,
        first_bad_index=findings.first_index(),
        problems=findings.problems(),
        signatures_checked=result.signatures_checked,
    )


def _read_entries(store: LogStore, size: int, batch_size: int) -> tuple[list[bytes], list[TreeHeadLike], int | None]:
    """Entries and their heads from index 0 up to the first index that is not stored (returned)."""
    data: list[bytes] = []
    heads: list[TreeHeadLike] = []
    for start in range(0, size, batch_size):
        for row in store.get_entries(start, min(start + batch_size, size)):
            if row.index != len(data):
                return data, heads, len(data)
            data.append(row.data)
            heads.append(_RowHead(row.index + 1, row.timestamp_ms, row.root_hash, row.signature))
    return data, heads, (len(data) if len(data) < size else None)


@dataclass(frozen=True, slots=True)
class _RowHead:
    tree_size: int
    timestamp_ms: int
    root_hash: bytes
    signature: bytes


def _verify(
    entries: Sequence[bytes],
    heads: Sequence[TreeHeadLike],
    chain: KeyChain,
    *,
    since: SignedTreeHead | None,
    check_every_head: bool,
    nodes: MemoryNodes | None,
) -> tuple[LogVerification, _Findings]:
    findings = _Findings()
    n = len(entries)
    if chain.rejected is not None:
        first = chain.rejected.first_size
        pinned = first - 1 if isinstance(first, int) and 1 <= first <= n else None
        findings.add(Problem(ProblemCode.BAD_KEY_CHAIN,
                             f"Log-key rotation {chain.rejected.serial!r} is not endorsed by the key before it; it and "
                             "later rotations are ignored.", pinned))
    attested = min(n, len(heads))
    if len(heads) < n:
        message = f"Entries from index {len(heads)} have no stored tree head."
        findings.add(Problem(ProblemCode.MISSING_HEAD, message, len(heads)))
    elif len(heads) > n:
        message = f"Tree heads exist for {len(heads)} entries but only {n} remain."
        findings.add(Problem(ProblemCode.MISSING_ENTRY, message, n))

    since_size = since.tree_size if isinstance(since, SignedTreeHead) else None
    since_root: bytes | None = EMPTY_ROOT if since_size == 0 else None
    checked = 0

    if check_every_head:
        # One pass; the right edge alone gives every root (O(log n) memory, O(n log n) hashes,
        # far cheaper than the n signature checks it accompanies).
        right_edge: list[bytes] = []
        for i, data in enumerate(entries):
            acc, index = leaf_hash(bytes(data)), i
            if nodes is not None:
                nodes.append_leaf(acc)
            while index & 1:
                acc = node_hash(right_edge.pop(), acc)
                index >>= 1
            right_edge.append(acc)
            root = fold(right_edge)
            if since_size == i + 1:
                since_root = root
            if i < attested:
                checked += 1
                problem = _head_problem(i, heads[i], root, chain)
                if problem is not None:
                    findings.add(problem)
        recomputed = fold(right_edge)
    else:
        if nodes is None:
            nodes = MemoryNodes()
        for data in entries:
            nodes.append_leaf(leaf_hash(bytes(data)))

        def root_at(size: int) -> bytes:
            return fold([nodes.get(level, index) for level, index in perfect_subtrees(0, size)])  # type: ignore[misc]

        recomputed = root_at(n) if n else EMPTY_ROOT
        if since_size is not None and 0 < since_size <= n:
            since_root = root_at(since_size)
        if attested:
            evaluated: dict[int, Problem | None] = {}

            def problem_at(i: int) -> Problem | None:
                if i not in evaluated:
                    evaluated[i] = _head_problem(i, heads[i], root_at(i + 1), chain)
                return evaluated[i]

            last = attested - 1
            if problem_at(last) is not None:
                findings.add(problem_at(last))  # type: ignore[arg-type]
                lo, hi = -1, last  # head lo is valid (-1: the empty tree), head hi is not
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if problem_at(mid) is None:
                        lo = mid
                    else:
                        hi = mid
                findings.add(problem_at(hi))  # type: ignore[arg-type]
            checked = len(evaluated)

    if since is not None:
        _check_since(since, chain, n, since_root, findings)

    first_bad = findings.first_index()
    return (
        LogVerification(
            ok=not findings.first,
            tree_size=n,
            root_hash=recomputed,
            first_bad_index=first_bad,
            problems=findings.problems(),
            signatures_checked=checked + (1 if since is not None else 0),
        ),
        findings,
    )


def _check_since(
    since: SignedTreeHead, chain: KeyChain, n: int, since_root: bytes | None, findings: _Findings
) -> None:
    if not isinstance(since, SignedTreeHead) or not chain.verifies(since):
        findings.add(Problem(ProblemCode.BAD_SAVED_HEAD, "The saved tree head is not signed by this log's key."))
        return
    if since.tree_size > n:
        findings.add(
            Problem(
                ProblemCode.TRUNCATED,
                f"The log has {n} entries but a saved head covers {since.tree_size}: entries from index {n} are gone.",
                n,
            )
        )
        return
    if since_root is None or len(since_root) != HASH_SIZE or since_root != since.root_hash:
        # If the log's own heads all verify, the log signed two different trees of this size (a
        # fork); that is not an entry we can point at, so no index unless heads already failed.
        findings.add(
            Problem(
                ProblemCode.INCONSISTENT_WITH_SAVED_HEAD,
                f"The first {since.tree_size} entries do not have the root of the head saved at that size.",
            )
        )
