"""The verification API. The partner is authenticated inside each request's own unit of work
(never in a dependency holding a transaction of its own: on SQLite a second one waits for the
first's write lock, and the request deadlocks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from starlette.concurrency import run_in_threadpool

from civicid.errors import InvalidInput
from civicid.partners.errors import PartnerAuthFailed
from civicid.partners.service import PartnerService
from civicid.partners.verification import authenticate, verify as verify_partner_request
from civicid.web.deps import RuntimeDep, SessionDep
from civicid.web.uploads import frames_form_openapi, read_frames

router = APIRouter(prefix="/api/v1/verifications", tags=["partners"])
_basic = HTTPBasic(auto_error=False, realm="civicid-partners")


async def partner_credentials(
        credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]) -> HTTPBasicCredentials:
    """The partner's client id and secret (HTTP Basic), not yet checked: no database here."""
    if credentials is None:
        raise PartnerAuthFailed()
    return credentials


PartnerCredentials = Annotated[HTTPBasicCredentials, Depends(partner_credentials)]


@router.post("/challenge", status_code=201)
def verification_challenge(credentials: PartnerCredentials, runtime: RuntimeDep, session: SessionDep) -> dict:
    """A liveness challenge for the person the partner is about to verify."""
    service = PartnerService(runtime, session)
    partner = service.authenticate(credentials.username, credentials.password)
    challenge_id, challenge = service.new_challenge(partner)
    return {"challenge_id": challenge_id, **challenge.to_json()}


@router.post("", openapi_extra=frames_form_openapi(
    challenge_id="From /challenge.", id_number="The claimed ID number.", name="The claimed name."))
async def verify(request: Request, credentials: PartnerCredentials, runtime: RuntimeDep) -> dict:
    """Multipart: ``challenge_id``, ``id_number``, ``name``, ``frames`` (JPEG) and ``timestamps_ms``.

    The answer carries no personal data: ``result`` is ``match``, ``no_match``,
    ``liveness_failed`` or ``not_found_or_mismatch``, with ``reasons`` and a ``verification_id``."""
    settings = runtime.settings
    partner_id = await run_in_threadpool(authenticate, runtime, client_id=credentials.username,
                                         secret=credentials.password)  # before the upload is read
    upload = await read_frames(request, max_frames=settings.enrolment_max_frames,
                               max_frame_bytes=settings.enrolment_max_frame_bytes,
                               max_total_bytes=settings.enrolment_max_total_bytes)
    missing = [name for name in ("challenge_id", "id_number", "name") if not upload.fields.get(name)]
    if missing:
        raise InvalidInput("Missing form fields: " + ", ".join(missing) + ".", fields=missing)
    result = await run_in_threadpool(
        verify_partner_request, runtime, partner_id=partner_id, challenge_id=upload.fields["challenge_id"],
        id_number=upload.fields["id_number"], name=upload.fields["name"][:200], frames=upload.frames)
    return {"verification_id": result.verification_id, "result": result.result, "reasons": list(result.reasons)}
