"""Decision receipts: an enrolment or recovery decision kept for its session for a short time.

Issue 13: a reload or a dropped connection while the page says "Checking…" must not strand the
citizen (the decision was made, the browser never learned it). The page therefore asks again with
the session id it already holds (``GET /api/v1/enrolments/{id}/decision``, and recovery's).

Privacy first, only what the browser needs is kept: the decision and its reason codes, or the
typed error's code and message; for a success, the new sign-in session's token (and the network
ID) sealed under the receipt's own data key, handed out once by a fetch and then shredded. A
receipt answers only the client address that made the decision (an HMAC of it is kept), and lives
:data:`RECEIPT_TTL`; :func:`civicid.maintenance.service.prune_decision_receipts` removes it after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.enrolment.limits import AttemptLimiter
from civicid.enrolment.models import DecisionReceipt
from civicid.errors import CivicIDError

RECEIPT_TTL = timedelta(minutes=10)
TABLE = DecisionReceipt.__tablename__
PENDING, DECIDED, FAILED = "pending", "decided", "failed"


class ReceiptNotFound(CivicIDError):
    code = "decision.not_found"
    status = 404
    default_message = "No decision is kept for this session; start again."


class ReceiptExpired(CivicIDError):
    code = "decision.expired"
    status = 410
    default_message = "The decision for this session is no longer kept; start again."


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a fetch hands out: ``state`` pending, decided or failed."""

    state: str
    decision: str | None = None
    reasons: tuple[str, ...] = ()
    error: CivicIDError | None = None
    session_token: str | None = field(default=None, repr=False)
    network_id: str | None = None


class StoredError(CivicIDError):
    """A typed error recorded by a decision, answered again as it was."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.status = code, status  # type: ignore[misc]


class DecisionReceipts:
    """The narrow storage hooks of receipts, in the unit of work ``session``."""

    def __init__(self, runtime, session: Session) -> None:
        self._rt, self._session = runtime, session
        self._vault = runtime.vault(session)
        self._limiter = AttemptLimiter.for_runtime(runtime, session)

    def _client_key(self, client: str) -> bytes:
        return self._limiter.key_for("decision_client", client)

    def pending(self, session_id: str, *, flow: str, client: str) -> None:
        now = self._rt.clock.now()
        self._session.add(DecisionReceipt(session_id=session_id, flow=flow, client_key=self._client_key(client),
                                          state=PENDING, created_at=now, expires_at=now + RECEIPT_TTL))
        self._session.flush()

    def decided(self, session_id: str, decision) -> None:
        row = self._session.get(DecisionReceipt, session_id, with_for_update=True)
        if row is None:
            return
        row.state, row.decision = DECIDED, decision.decision
        row.reasons = json.dumps(list(decision.reasons))
        if decision.session_token:
            owner = f"decision:{session_id}"
            self._vault.create_key(owner)
            secret = json.dumps({"session_token": decision.session_token,
                                 "network_id": getattr(decision, "network_id", None)})
            row.sealed = self._vault.seal(owner, secret, table=TABLE, column="sealed", row_id=session_id)

    def failed(self, session_id: str, error: CivicIDError) -> None:
        row = self._session.get(DecisionReceipt, session_id, with_for_update=True)
        if row is None:
            return
        row.state, row.error_code, row.error_status = FAILED, error.code, error.status
        row.error_message = error.message[:300]

    def fetch(self, session_id: str, *, flow: str, client: str) -> Receipt:
        """The receipt of ``session_id`` for ``client``; a success's token only the first time."""
        row = self._session.get(DecisionReceipt, session_id[:64], with_for_update=True)
        if row is None or row.flow != flow or row.client_key != self._client_key(client):
            raise ReceiptNotFound()
        if self._rt.clock.now() >= row.expires_at:
            raise ReceiptExpired()
        if row.state == PENDING:
            return Receipt(PENDING)
        if row.state == FAILED:
            return Receipt(FAILED, error=StoredError(row.error_code or "internal", row.error_status or 500,
                                                     row.error_message or CivicIDError.default_message))
        token = network_id = None
        if row.sealed is not None:
            owner = f"decision:{session_id}"
            secret = json.loads(self._vault.open_text(owner, row.sealed, table=TABLE, column="sealed",
                                                      row_id=session_id))
            token, network_id = secret["session_token"], secret.get("network_id")
            self._vault.destroy(owner)  # handed out once
            row.sealed = None
        return Receipt(DECIDED, row.decision, tuple(json.loads(row.reasons or "[]")), session_token=token,
                       network_id=network_id)


def shred_expired(session: Session, vault, *, now, batch: int) -> int:
    """Remove expired receipts, shredding any token still sealed; rows in use are skipped."""
    rows = session.execute(sa.select(DecisionReceipt.session_id, DecisionReceipt.sealed.is_not(None))
                           .where(DecisionReceipt.expires_at <= now).limit(batch)
                           .with_for_update(skip_locked=True)).all()
    for session_id, sealed in rows:
        if sealed:
            vault.destroy(f"decision:{session_id}")
    if rows:
        session.execute(sa.delete(DecisionReceipt).where(DecisionReceipt.session_id.in_([r[0] for r in rows]))
                        .execution_options(synchronize_session=False))
    return len(rows)
