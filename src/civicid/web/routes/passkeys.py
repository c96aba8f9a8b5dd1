"""Passkey registration, passkey sign-in and sign-out (JSON for the pages' scripts).

Registration needs a fresh face session (right after enrolment or recovery); sign-in uses a
discoverable credential, so the citizen types nothing. The ceremony's options come from the
``/options`` call and its ``ceremony_id`` goes back with the browser's response to ``/verify``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from civicid.identity.passkey_errors import SignInRequired
from civicid.identity.passkeys import PasskeyService, require_fresh_face
from civicid.identity.service import CitizenService
from civicid.identity.sessions import COOKIE_NAME, SignInSessions
from civicid.web.citizen_session import clear_session_cookie, set_session_cookie, signed_in_citizen
from civicid.web.deps import RuntimeDep, SessionDep, plain_route, runtime_of, short_unit

PASSKEY_AMR = ("hwk", "user")  # RFC 8176 §2: proof of possession of a hardware-secured key, user presence


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


# Bodies are bounded by the HTTP boundary (civicid.web.boundary.body), for these routes as for all.
router = APIRouter(tags=["passkeys"])


class CeremonyResponse(BaseModel):
    ceremony_id: str = Field(min_length=1, max_length=64)
    credential: dict[str, Any]


def _fresh_face_citizen(request: Request, runtime, session):
    signed_in = require_fresh_face(signed_in_citizen(request, runtime, session), now=runtime.clock.now())
    return CitizenService(session, runtime.vault(session), runtime.clock).get(signed_in.citizen_id)


@router.post("/api/v1/passkeys/registration/options")
def registration_options(request: Request, runtime: RuntimeDep, session: SessionDep) -> dict:
    """Options for ``navigator.credentials.create`` (needs a face verification in the last 10 minutes)."""
    citizen = _fresh_face_citizen(request, runtime, session)
    options = PasskeyService.from_runtime(runtime, session).registration_options(
        citizen.id, user_name=citizen.network_id)
    return options.to_json()


@router.post("/api/v1/passkeys/registration/verify", status_code=201)
def registration_verify(body: CeremonyResponse, request: Request, runtime: RuntimeDep,
                        session: SessionDep) -> dict:
    """Store the new passkey (``credential`` is ``PublicKeyCredential.toJSON()``)."""
    citizen = _fresh_face_citizen(request, runtime, session)
    info = PasskeyService.from_runtime(runtime, session).verify_registration(
        body.ceremony_id, body.credential, citizen_id=citizen.id)
    return {"passkey": info.to_json()}


@router.get("/api/v1/passkeys")
def my_passkeys(request: Request, runtime: RuntimeDep, session: SessionDep) -> dict:
    signed_in = signed_in_citizen(request, runtime, session)
    if signed_in is None:
        raise SignInRequired()
    return {"passkeys": [item.to_json() for item in PasskeyService.from_runtime(runtime, session)
                         .list_for(signed_in.citizen_id)]}


# The two sign-in calls are the hot path: plain routes (see deps.plain_route), their units of work
# on the event loop (see deps.short_unit).
@plain_route(router, "/api/v1/signin/options", methods=["POST"])
async def signin_options(request: Request) -> JSONResponse:
    """Options for ``navigator.credentials.get`` with a discoverable credential."""
    runtime = runtime_of(request)
    return JSONResponse(await short_unit(
        runtime, lambda session: PasskeyService.from_runtime(runtime, session).authentication_options().to_json()))


@plain_route(router, "/api/v1/signin/verify", methods=["POST"])
async def signin_verify(request: Request) -> JSONResponse:
    """Verify the assertion (``CeremonyResponse``) and start a session (cookie) with ``amr`` =
    hwk, user."""
    if not _is_json(request.headers.get("content-type", "")):
        # Login CSRF: another site can post text/plain or a form without a CORS preflight, not JSON
        raise RequestValidationError([{"loc": ("body",), "msg": "The body must be application/json."}])
    try:
        body = CeremonyResponse.model_validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}  # as FastAPI names them
                                      for e in error.errors(include_url=False)]) from None
    runtime = runtime_of(request)

    def unit(session) -> tuple[str, dict]:
        verified = PasskeyService.from_runtime(runtime, session).verify_authentication(
            body.ceremony_id, body.credential)
        acr = f"urn:civicid:acr:{verified.verification}"
        token = SignInSessions(session, runtime.clock).create(verified.citizen_id, amr=PASSKEY_AMR, acr=acr)
        return token, {"signed_in": True, "network_id": verified.network_id, "amr": list(PASSKEY_AMR), "acr": acr}

    token, result = await short_unit(runtime, unit)
    response = JSONResponse(result)
    set_session_cookie(response, token, runtime)
    return response


@router.post("/api/v1/signout", status_code=204)
def signout(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    from civicid.oidc.service import OidcProvider  # back-channel logout of this session's services

    OidcProvider(runtime, session, session_token=request.cookies.get(COOKIE_NAME)).sign_out()
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
