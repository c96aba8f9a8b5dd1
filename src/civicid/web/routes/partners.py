from __future__ import annotations

from fastapi import APIRouter, Request

from civicid.errors import InvalidInput
from civicid.partners.service import PartnerService
from civicid.web.deps import PartnerDep, RuntimeDep, SessionDep, in_worker_thread
from civicid.web.uploads import read_frames

router = APIRouter(prefix="/api/v1/verifications", tags=["partners"])


@router.post("/challenge", status_code=201)
def verification_challenge(partner: PartnerDep, runtime: RuntimeDep, session: SessionDep) -> dict:
    """A liveness challenge for the person the partner is about to verify."""
    challenge_id, challenge = PartnerService(runtime, session).new_challenge(partner)
    return {"challenge_id": challenge_id, **challenge.to_json()}


@router.post("")
async def verify(request: Request, partner: PartnerDep, runtime: RuntimeDep) -> dict:
    """Multipart: ``challenge_id``, ``id_number``, ``name``, ``frames`` (JPEG) and ``timestamps_ms``.

    The answer carries no personal data: ``result`` is ``match``, ``no_match``,
    ``liveness_failed`` or ``not_found_or_mismatch``, with ``reasons`` and a ``verification_id``."""
    settings = runtime.settings
    upload = await read_frames(request, max_frames=settings.enrolment_max_frames,
                               max_frame_bytes=settings.enrolment_max_frame_bytes,
                               max_total_bytes=settings.enrolment_max_total_bytes)
    missing = [name for name in ("challenge_id", "id_number", "name") if not upload.fields.get(name)]
    if missing:
        raise InvalidInput("Missing form fields: " + ", ".join(missing) + ".", fields=missing)

    def work(session):
        service = PartnerService(runtime, session)
        result = service.verify(session.merge(partner), challenge_id=upload.fields["challenge_id"],
                                id_number=upload.fields["id_number"], name=upload.fields["name"][:200],
                                frames=upload.frames)
        return {"verification_id": result.verification_id, "result": result.result,
                "reasons": list(result.reasons)}

    return await in_worker_thread(runtime, work)
