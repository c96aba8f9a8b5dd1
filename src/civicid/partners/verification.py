"""One partner verification as units of work: authenticate, count and read; face work with no
transaction open; record.

The face work takes seconds. A transaction held meanwhile would keep SQLite's write lock (every
other request of the service waits) and, in PostgreSQL, the rate-limit key rows locked. So:
read what is needed and commit; compute; write the answer in a second short transaction.
"""

from __future__ import annotations

import logging
from typing import Sequence

from civicid.enrolment.frames import Frame
from civicid.errors import CivicIDError
from civicid.partners.service import PartnerService, VerificationResult
from civicid.runtime import Runtime

FLOW = "partner"  # the flow label of its metrics
log = logging.getLogger("civicid.partners")


def authenticate(runtime: Runtime, *, client_id: str, secret: str) -> str:
    """The partner's id, checked in a unit of work of its own (before the upload is read)."""
    with runtime.transaction() as session:
        return PartnerService(runtime, session).authenticate(client_id, secret).id


def verify(runtime: Runtime, *, partner_id: str, challenge_id: str, id_number: str, name: str,
           frames: Sequence[Frame]) -> VerificationResult:
    """Blocking; call it from a worker thread. ``partner_id`` comes from :func:`authenticate`.
    The result, its reason codes and the face stage timings go to ``runtime.metrics``."""
    try:
        result = _verify(runtime, partner_id=partner_id, challenge_id=challenge_id, id_number=id_number, name=name,
                         frames=frames)
    except CivicIDError as error:  # refused (a limit, a used challenge, bad frames): outcome "error"
        runtime.metrics.decision(FLOW, "error", (error.code,))
        raise
    runtime.metrics.decision(FLOW, result.result, result.reasons)
    log.info("partner verification %s: %s (%s)", result.verification_id, result.result,
             ", ".join(result.reasons) or "-")
    return result


def _verify(runtime: Runtime, *, partner_id: str, challenge_id: str, id_number: str, name: str,
            frames: Sequence[Frame]) -> VerificationResult:
    with runtime.transaction() as session:
        service = PartnerService(runtime, session)
        partner = service.active_partner(partner_id)
        opened = service.open_verification(partner, challenge_id=challenge_id, id_number=id_number, name=name,
                                           frames=frames)
    if isinstance(opened, VerificationResult):
        return opened
    assessment = runtime.live_check().assess(frames, actions=opened.actions, reference=opened.reference,
                                             prompts_ms=opened.prompts_ms)
    runtime.metrics.face_stages(FLOW, assessment.timings_ms)
    with runtime.transaction() as session:
        return PartnerService(runtime, session).close_verification(opened, assessment)
