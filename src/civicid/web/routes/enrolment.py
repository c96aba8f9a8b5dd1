from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

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
                                       client=client, sign_in=True)
    body = {"decision": decision.decision, "reasons": list(decision.reasons)}
    if decision.session_token:
        body["network_id"] = decision.network_id
        body["session_token"] = decision.session_token
        set_session_cookie(response, decision.session_token, runtime)
    return body
