"""Staff endpoints: one citizen read at a time with justification; auditors see counts only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from civicid.audit.db_verify import verify_stored_log
from civicid.officials.errors import StaffAuthFailed
from civicid.officials.models import StaffMember
from civicid.officials.service import OfficialService, Role
from civicid.web.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])
_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _staff(runtime, session, credentials, *roles: Role) -> StaffMember:
    if credentials is None:
        raise StaffAuthFailed()
    return OfficialService(runtime, session).authenticate(credentials.credentials, roles=roles)


class CitizenLookup(BaseModel):
    id_number: str = Field(min_length=1, max_length=64)
    justification: str = Field(min_length=1, max_length=1000)
    case_reference: str = Field(min_length=1, max_length=64)


@router.post("/citizen-reads")
def read_citizen(body: CitizenLookup, runtime: RuntimeDep, session: SessionDep, credentials: Credentials) -> dict:
    """A registry officer reads ONE citizen's record, with a justification and a case reference.

    The read is an event in the citizen's own history; past the hourly limit it is refused and an
    alert is logged. There is no listing and no bulk export. Only registry officers may read; a
    refused attempt on an enrolled citizen is in that citizen's history too."""
    official = _staff(runtime, session, credentials, *Role)
    profile = OfficialService(runtime, session).read_citizen(
        official, id_number=body.id_number, justification=body.justification, case_reference=body.case_reference)
    return {"network_id": profile.network_id, "name": profile.name, "id_number": profile.id_number,
            "birth_date": profile.birth_date.isoformat(), "verification": profile.verification}


@router.get("/audit/summary")
def audit_summary(runtime: RuntimeDep, session: SessionDep, credentials: Credentials) -> dict:
    """For auditors: event counts and whether the log verifies — never personal data."""
    _staff(runtime, session, credentials, Role.AUDITOR, Role.ADMIN)
    result = verify_stored_log(session, runtime.keys, runtime.clock)
    return {**OfficialService(runtime, session).summary(),
            "verification": {"ok": result.ok, "tree_size": result.tree_size,
                             "first_bad_index": result.first_bad_index,
                             "problems": [p.code.value for p in result.problems]}}
