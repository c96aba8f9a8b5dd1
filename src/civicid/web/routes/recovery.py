"""Account recovery by face: the enrolment's checks for an existing citizen, then a fresh
face session in which they can add a new passkey."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from civicid.enrolment.recovery import RecoveryService
from civicid.enrolment.service import decide_session
from civicid.web.citizen_session import set_session_cookie
from civicid.web.deps import ClientDep, RuntimeDep, SessionDep
from civicid.web.routes.enrolment import answer_receipt
from civicid.web.uploads import frames_form_openapi, read_frames

router = APIRouter(prefix="/api/v1/recovery", tags=["recovery"])


class StartRecovery(BaseModel):
    id_number: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


@router.post("", status_code=201)
def start_recovery(body: StartRecovery, runtime: RuntimeDep, session: SessionDep,
                   client: ClientDep) -> dict:
    """Check the ID number and name (as enrolment does) and issue a liveness challenge."""
    started = RecoveryService(runtime, session).start(id_number=body.id_number, name=body.name, client=client)
    settings = runtime.settings
    return {"session_id": started.session_id, "challenge": started.challenge.to_json(),
            "upload": {"max_frames": settings.enrolment_max_frames,
                       "max_frame_bytes": settings.enrolment_max_frame_bytes,
                       "max_total_bytes": settings.enrolment_max_total_bytes, "min_fps": 15}}


@router.post("/{session_id}/frames", openapi_extra=frames_form_openapi())
async def submit_recovery_frames(session_id: str, request: Request, response: Response, runtime: RuntimeDep,
                                 client: ClientDep) -> dict:
    """Multipart ``frames`` (JPEG) with ``timestamps_ms``, as for enrolment. On a match against
    the registry photo the citizen is signed in with ``amr`` = face (cookie and ``session_token``)
    and may register a new passkey in the next 10 minutes."""
    settings = runtime.settings
    upload = await read_frames(request, max_frames=settings.enrolment_max_frames,
                               max_frame_bytes=settings.enrolment_max_frame_bytes,
                               max_total_bytes=settings.enrolment_max_total_bytes)

    decision = await run_in_threadpool(decide_session, runtime, RecoveryService, session_id[:64], upload.frames,
                                       client=client, sign_in=True, receipt=True)
    body = {"decision": decision.decision, "reasons": list(decision.reasons)}
    if decision.session_token:
        body["session_token"] = decision.session_token
        set_session_cookie(response, decision.session_token, runtime)
    return body


@router.get("/{session_id}/decision")
def recovery_decision(session_id: str, response: Response, runtime: RuntimeDep, session: SessionDep,
                      client: ClientDep) -> dict:
    """The decision of a recovery session again, as for enrolment: ``pending``, the decision, or
    its typed error; kept 10 minutes for the submitting client, a token handed out once."""
    return answer_receipt(runtime, session, RecoveryService.flow, session_id, client, response)
