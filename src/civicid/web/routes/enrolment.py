from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from civicid.enrolment.receipts import FAILED, DecisionReceipts
from civicid.enrolment.service import EnrolmentService, decide_session
from civicid.web.citizen_session import set_session_cookie
from civicid.web.deps import ClientDep, RuntimeDep, SessionDep
from civicid.web.uploads import frames_form_openapi, read_frames

router = APIRouter(prefix="/api/v1/enrolments", tags=["enrolment"])


class StartEnrolment(BaseModel):
    id_number: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


def _upload_limits(settings) -> dict:
    return {"max_frames": settings.enrolment_max_frames, "max_frame_bytes": settings.enrolment_max_frame_bytes,
            "max_total_bytes": settings.enrolment_max_total_bytes, "min_fps": 15}


@router.post("", status_code=201)
def start_enrolment(body: StartEnrolment, runtime: RuntimeDep, session: SessionDep, client: ClientDep) -> dict:
    """Check the ID number and name against the registry and issue a liveness challenge."""
    started = EnrolmentService(runtime, session).start(id_number=body.id_number, name=body.name, client=client)
    return {"session_id": started.session_id, "challenge": started.challenge.to_json(),
            "upload": _upload_limits(runtime.settings)}


@router.post("/{session_id}/frames", openapi_extra=frames_form_openapi())
async def submit_frames(session_id: str, request: Request, response: Response, runtime: RuntimeDep,
                        client: ClientDep) -> dict:
    """Multipart ``frames`` (JPEG) with ``timestamps_ms``; returns the decision with reason codes.

    On success the new citizen is signed in (cookie, and ``session_token`` for API clients) with
    ``amr`` = face, which allows registering their first passkey right away."""
    settings = runtime.settings
    upload = await read_frames(request, max_frames=settings.enrolment_max_frames,
                               max_frame_bytes=settings.enrolment_max_frame_bytes,
                               max_total_bytes=settings.enrolment_max_total_bytes)
    decision = await run_in_threadpool(decide_session, runtime, EnrolmentService, session_id[:64], upload.frames,
                                       client=client, sign_in=True, receipt=True)
    body = {"decision": decision.decision, "reasons": list(decision.reasons)}
    if decision.session_token:
        body["network_id"] = decision.network_id
        body["session_token"] = decision.session_token
        set_session_cookie(response, decision.session_token, runtime)
    return body


@router.get("/{session_id}/decision")
def enrolment_decision(session_id: str, response: Response, runtime: RuntimeDep, session: SessionDep,
                       client: ClientDep) -> dict:
    """The decision of a session's frames again, for a page that lost the answer (a reload, a
    dropped connection): ``pending`` while the face work runs, then the decision as ``frames``
    answered it, or its typed error. Kept 10 minutes for the client that submitted the frames; a
    success's ``session_token`` (and cookie) is handed out by the first fetch only."""
    return answer_receipt(runtime, session, EnrolmentService.flow, session_id, client, response)


def answer_receipt(runtime, session, flow: str, session_id: str, client: str, response: Response) -> dict:
    receipt = DecisionReceipts(runtime, session).fetch(session_id, flow=flow, client=client)
    response.headers["Cache-Control"] = "no-store"
    if receipt.state == FAILED:
        raise receipt.error
    if receipt.decision is None:
        response.headers["Retry-After"] = "1"
        return {"decision": "pending"}
    body = {"decision": receipt.decision, "reasons": list(receipt.reasons)}
    if receipt.session_token:
        if receipt.network_id:
            body["network_id"] = receipt.network_id
        body["session_token"] = receipt.session_token
        set_session_cookie(response, receipt.session_token, runtime)
    return body
