"""Typed errors of the transparency log. Codes are part of the API and never change meaning.

Verification *findings* (a tampered entry, a bad signature) are not exceptions: they are returned as
:class:`civicid.audit.verify.Problem` values. Exceptions here mean the caller asked for something
impossible (a proof for a leaf that does not exist) or the store is unusable.
"""

from __future__ import annotations

from civicid.errors import CivicIDError


class AuditError(CivicIDError):
    code = "audit.invalid"
    status = 422
    default_message = "The transparency log request is not valid."


class InvalidEvent(AuditError):
    code = "audit.invalid_event"
    default_message = "The log event is not valid."


class OutOfRange(AuditError):
    """A leaf index or tree size outside the log (or first size > second size)."""

    code = "audit.out_of_range"
    default_message = "The leaf index or tree size is outside the log."


class MalformedTreeHead(AuditError):
    code = "audit.malformed_sth"
    default_message = "The signed tree head could not be parsed."


class MalformedProof(AuditError):
    code = "audit.malformed_proof"
    default_message = "The proof could not be parsed."


class AppendConflict(AuditError):
    """Raised by a store when another writer appended at the same index first; the log retries."""

    code = "audit.append_conflict"
    status = 409
    default_message = "Another entry was appended concurrently."


class CorruptStore(AuditError):
    """The store lacks a node hash or entry that an append-only log must have."""

    code = "audit.corrupt_store"
    status = 500
    default_message = "The transparency log store is missing data it must have."


class LogTampered(AuditError):
    """The log failed a check made while serving it (a head that does not verify, an entry whose
    proof does not reach the signed root, a lookup column or outbox row that disagrees with its
    leaf). Someone changed the database outside CivicID; ``civicid audit verify`` says where."""

    code = "audit.tampered"
    status = 500
    default_message = "The transparency log failed its integrity check; it cannot be shown until this is resolved."


class LogKeyMismatch(AuditError):
    """The key provider does not hold the log key the stored key chain names as current (another
    keyring, or a rotation it never made)."""

    code = "audit.log_key_mismatch"
    status = 500
    default_message = "The key provider does not hold the transparency log's current signing key."


class KeyChainBroken(AuditError):
    """A stored log-key rotation does not verify; no new rotation is made on top of it."""

    code = "audit.key_chain_broken"
    status = 409
    default_message = "The stored log-key rotations do not verify; run `civicid audit verify`."


class DatabaseUnreadable(AuditError):
    """The database (an auditor's copy) could not be opened without writing to it."""

    code = "audit.database_unreadable"
    status = 500
    default_message = "The database could not be opened read-only."


class SchemaMismatch(AuditError):
    """The database is at another Alembic revision than this CivicID reads."""

    code = "audit.schema_mismatch"
    status = 409
    default_message = "The database's schema is not the one this version of CivicID reads."


class InvalidPublicKey(AuditError):
    code = "audit.invalid_public_key"
    default_message = "The log key must be a raw 32-byte Ed25519 public key in base64."
