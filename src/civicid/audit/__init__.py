"""The transparency log: every read or disclosure of a citizen's data, append-only and provable.

RFC 9162 Merkle tree (:mod:`.merkle`), inclusion and consistency proofs (:mod:`.proofs`), Ed25519
signed tree heads (:mod:`.sth`), the log over a pluggable store (:mod:`.tree`,
:mod:`.interfaces`), and a whole-log audit that pinpoints tampering (:mod:`.verify`).
Pure library: no web or database imports.
"""

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.interfaces import LogStore, NodeReader, StoredEntry
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash
from civicid.audit.proofs import ConsistencyProof, InclusionProof, verify_consistency, verify_inclusion
from civicid.audit.sth import SignedTreeHead, sign_tree_head, verify_tree_head
from civicid.audit.tree import AppendResult, TransparencyLog
from civicid.audit.verify import LogVerification, Problem, ProblemCode, verify_log, verify_store

__all__ = [
    "EMPTY_ROOT",
    "AppendResult",
    "ConsistencyProof",
    "EventTag",
    "InclusionProof",
    "LogEvent",
    "LogStore",
    "LogVerification",
    "MemoryLogStore",
    "NodeReader",
    "Problem",
    "ProblemCode",
    "SignedTreeHead",
    "StoredEntry",
    "TransparencyLog",
    "leaf_hash",
    "node_hash",
    "sign_tree_head",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "verify_store",
    "verify_tree_head",
]
