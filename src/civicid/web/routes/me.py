"""The citizen's own API (DESIGN.md, "Citizen dashboard"): what CivicID holds about me, the
services I use, my access history with inclusion proofs, export, network-ID rotation and deletion.

Authorised by the sign-in session: ``Authorization: Bearer <session_token>`` or the session
cookie. State-changing calls from a browser pass the HTTP boundary's cross-site check
(``civicid.web.boundary.origin``) like every other. Errors are typed: ``auth.required`` (401)
without a session, ``account.reauthentication_required`` (403) to delete with a stale one,
``oidc.consent_not_found`` (404) for a service I do not use.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from civicid.audit.events import EventTag
from civicid.errors import CivicIDError
from civicid.identity.account import AccountService
from civicid.identity.sessions import SignedIn
from civicid.oidc.service import OidcProvider
from civicid.web.citizen_account import all_events, history_json, history_of, services_of
from civicid.web.citizen_session import clear_session_cookie, session_token_of, signed_in_citizen_or_bearer
from civicid.web.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/me", tags=["citizen"])


class AuthRequired(CivicIDError):
    code = "auth.required"
    status = 401
    default_message = "Sign in to see your CivicID."


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class PasskeyOut(BaseModel):
    credential_id: str
    created_at: datetime
    last_used_at: datetime | None
    transports: list[str]
    backed_up: bool


class SessionOut(BaseModel):
    amr: list[str]
    acr: str
    auth_time: datetime
    expires_at: datetime
    current: bool


class HeldOut(BaseModel):
    """What CivicID holds about me, opened for me only (the ID number masked)."""

    network_id: str
    name: str
    birth_date: date
    id_number_masked: str
    verification: str
    enrolled_at: datetime
    passkeys: list[PasskeyOut]
    sessions: list[SessionOut]


class ReleaseOut(BaseModel):
    at: datetime
    channel: str
    claims: list[str]


class ServiceOut(BaseModel):
    client_id: str
    name: str
    granted: list[str]
    declined: list[str]
    granted_at: datetime
    last_received_at: datetime | None
    received: list[ReleaseOut]


class ServicesOut(BaseModel):
    services: list[ServiceOut]


class NetworkIdOut(BaseModel):
    network_id: str


NO_SESSION = {401: {"model": ErrorResponse, "description": "No sign-in session (auth.required)."}}


def me_or_401(request: Request, runtime, session) -> SignedIn:
    me = signed_in_citizen_or_bearer(request, runtime, session)
    if me is None:
        raise AuthRequired()
    return me


@router.get("", response_model=HeldOut, responses=NO_SESSION)
def held(request: Request, runtime: RuntimeDep, session: SessionDep):
    """Name, birth date, ID number (masked), network ID, passkeys, active sessions. Recorded in my
    history as ``citizen:self:read``."""
    me = me_or_401(request, runtime, session)
    data = AccountService(runtime, session).held(me.citizen_id, current_token=session_token_of(request),
                                                 purpose="api")
    return data.to_json()


@router.get("/history", responses=NO_SESSION)
def history(request: Request, runtime: RuntimeDep, session: SessionDep):
    """Events about me, oldest first, with RFC 9162 inclusion proofs against the signed tree head.

    Check each one without trusting CivicID: ``leaf_hash = SHA-256(0x00 || leaf)``, then
    ``civicid.audit.proofs.verify_inclusion(leaf_hash, leaf_index, tree_size, inclusion_path,
    sth.sha256_root_hash)``, and the STH signature with the key at /api/v1/transparency/public-key.
    ``pending`` lists events recorded but not yet in a signed tree head (for a fraction of a second)."""
    me = me_or_401(request, runtime, session)
    return history_json(history_of(runtime, session, me.citizen_id))


@router.get("/services", response_model=ServicesOut, responses=NO_SESSION)
def services(request: Request, runtime: RuntimeDep, session: SessionDep):
    """The services I share information with, by registered name: what I allowed each to receive,
    and what each received and when (from my history), newest first."""
    me = me_or_401(request, runtime, session)
    events = all_events(history_of(runtime, session, me.citizen_id))
    return {"services": [use.to_json() for use in services_of(runtime, session, me.citizen_id, events)]}


@router.delete("/services/{client_id}", status_code=204, responses={
    **NO_SESSION, 404: {"model": ErrorResponse, "description": "I do not use this service (oidc.consent_not_found)."}})
def revoke_service(client_id: str, request: Request, runtime: RuntimeDep, session: SessionDep):
    """Withdraw my consent: the service's access and refresh tokens for me stop working at once."""
    me = me_or_401(request, runtime, session)
    OidcProvider(runtime, session).revoke_consent(me.citizen_id, client_id)
    return Response(status_code=204)


def export_document(runtime, session, me: SignedIn, token: str | None) -> dict:
    data = AccountService(runtime, session).held(
        me.citizen_id, current_token=token, tag=EventTag.CITIZEN_SELF_EXPORT,
        purpose="download of all data held and the access history")
    history = history_of(runtime, session, me.citizen_id)
    return {
        "format": "civicid-export/1",
        "exported_at": runtime.clock.now().isoformat(),
        "held": data.to_json(),
        "services": [use.to_json() for use in services_of(runtime, session, me.citizen_id, all_events(history))],
        "history": history_json(history),
    }


@router.get("/export", responses={**NO_SESSION, 200: {
    "description": "Everything CivicID holds about me, my services and my history with proofs (JSON).",
    "content": {"application/json": {}}}})
def export(request: Request, runtime: RuntimeDep, session: SessionDep):
    """Download my data: everything ``GET /api/v1/me`` and ``/services`` show, plus my history with
    its inclusion proofs. Recorded as ``citizen:self:export``."""
    me = me_or_401(request, runtime, session)
    document = export_document(runtime, session, me, session_token_of(request))
    return JSONResponse(document, headers={"Content-Disposition": 'attachment; filename="civicid-export.json"',
                                           "Cache-Control": "no-store"})


@router.post("/network-id", response_model=NetworkIdOut, responses=NO_SESSION)
def rotate_network_id(request: Request, runtime: RuntimeDep, session: SessionDep):
    """A new random network ID; the old one stops working. Services keep the identifier they
    know me by (pairwise, derived from a secret, not from the network ID)."""
    me = me_or_401(request, runtime, session)
    return {"network_id": AccountService(runtime, session).rotate_network_id(me.citizen_id)}


@router.delete("", status_code=204, responses={
    **NO_SESSION, 403: {"model": ErrorResponse,
                        "description": "The sign-in is too old (account.reauthentication_required)."}})
def delete_me(request: Request, runtime: RuntimeDep, session: SessionDep):
    """Delete my CivicID: needs a sign-in from the last 10 minutes. Destroys my data key
    (crypto-shredding), revokes every token, consent, passkey and session; the log keeps a
    tombstone that names no one."""
    me = me_or_401(request, runtime, session)
    AccountService(runtime, session).delete(me)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response
