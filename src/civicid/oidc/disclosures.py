"""Every release of a citizen's claims, and every consent given or withdrawn, goes into the
transparency log (DESIGN.md principle 5) in the same transaction as the act itself."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy.orm import Session

from civicid.audit.events import EventTag
from civicid.runtime import Runtime


def rp_actor(client_id: str) -> str:
    return f"rp:{client_id}"


class Disclosures:
    def __init__(self, runtime: Runtime, session: Session) -> None:
        self._runtime = runtime
        self._session = session

    def claims_released(self, citizen_id: str, client_id: str, claims: Sequence[str], *, channel: str) -> None:
        """``channel`` is ``id_token`` or ``userinfo``; ``purpose`` lists the claim names."""
        self._record(EventTag.RP_CITIZEN_CLAIMS_RELEASED, client_id, citizen_id,
                     f"{channel}: {' '.join(claims)}")

    def consent_granted(self, citizen_id: str, client_id: str, *, granted: Sequence[str],
                        declined: Sequence[str]) -> None:
        purpose = f"granted: {' '.join(granted)}"
        if declined:
            purpose += f"; declined: {' '.join(declined)}"
        self._record(EventTag.RP_CITIZEN_CONSENT_GRANTED, client_id, citizen_id, purpose)

    def consent_revoked(self, citizen_id: str, client_id: str) -> None:
        self._record(EventTag.RP_CITIZEN_CONSENT_REVOKED, client_id, citizen_id,
                     "revoked by the citizen; the service's tokens were revoked")

    def _record(self, tag: EventTag, client_id: str, citizen_id: str, purpose: str) -> None:
        self._runtime.access_log(self._session).record(tag, actor=rp_actor(client_id), citizen_id=citizen_id,
                                                       purpose=purpose)
