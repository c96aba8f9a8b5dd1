"""The citizen's own API (DESIGN.md, "Citizen dashboard"): what CivicID holds about me, the
services I use, my access history with inclusion proofs, export, network-ID rotation and deletion.

Authorised by the sign-in session: ``Authorization: Bearer <session_token>`` or the session
cookie. State-changing calls from a browser pass the HTTP boundary's cross-site check
(``civicid.web.boundary.origin``) like every other. Errors are typed: ``auth.required`` (401)
without a session, ``account.reauthentication_required`` (403) to delete with a stale one,
``oidc.consent_not_found`` (404) for a service I do not use, ``passkey.not_found`` (404),
``passkey.last_one`` (409: never remove the only passkey), ``passkey.name_invalid`` (422),
``account.session_not_found`` (404), ``history.unknown_kind`` / ``history.invalid_page`` (422).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from civicid.audit.events import EventTag
from civicid.errors import CivicIDError
from civicid.identity.account import AccountService
from civicid.identity.passkeys import MAX_PASSKEY_NAME, PasskeyService
from civicid.identity.sessions import SignedIn, public_id_of_token
from civicid.oidc.service import OidcProvider
from civicid.web.citizen_account import (
    KINDS,
    MAX_PAGE,
    PAGE_SIZE,
    all_events,
    history_json,
    history_of,
    services_of,
    whole_history,
)
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
    name: str | None = Field(None, description="The name I gave it, if any.")
    created_at: datetime
    last_used_at: datetime | None
    transports: list[str]
    backed_up: bool


class SessionOut(BaseModel):
    id: str = Field(description="Names the session for DELETE /api/v1/me/sessions/{session_id}.")
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
    subject: str = Field(description="The pairwise identifier (OIDC Core §8.1 sub) the service knows me by; "
                                     "changing my network ID does not change it.")
    granted: list[str]
    declined: list[str]
    granted_at: datetime
    last_received_at: datetime | None
    received: list[ReleaseOut]


class ServicesOut(BaseModel):
    services: list[ServiceOut]


class NetworkIdOut(BaseModel):
    network_id: str


class PasskeyRename(BaseModel):
    name: str = Field(max_length=1024, description=f"Up to {MAX_PASSKEY_NAME} characters; empty removes the name.")


class SessionsEnded(BaseModel):
    ended: int


NO_SESSION = {401: {"model": ErrorResponse, "description": "No sign-in session (auth.required)."}}
NO_PASSKEY = {404: {"model": ErrorResponse, "description": "I have no passkey with this id (passkey.not_found)."}}


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


@router.get("/history", responses={**NO_SESSION, 422: {
    "model": ErrorResponse, "description": "An unknown kind (history.unknown_kind) or page (request.invalid)."}})
def history(request: Request, runtime: RuntimeDep, session: SessionDep,
            before: int | None = Query(None, ge=0, lt=1 << 63, description=(
                "Only entries below this leaf index: the next_before of the newer page.")),
            kind: str | None = Query(None, max_length=32, description="One of: " + ", ".join(KINDS) + "."),
            limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE, description="Entries per page.")):
    """Events about me with RFC 9162 inclusion proofs against the signed tree head: the newest
    ``limit`` (of ``kind``) below ``before``, oldest first within the page; ``next_before`` pages on
    to older ones.

    Check each one without trusting CivicID: ``leaf_hash = SHA-256(0x00 || leaf)``, then
    ``civicid.audit.proofs.verify_inclusion(leaf_hash, leaf_index, tree_size, inclusion_path,
    sth.sha256_root_hash)``, and the STH signature with the key at /api/v1/transparency/public-key.
    ``pending`` lists events recorded but not yet in a signed tree head (for a fraction of a second)."""
    me = me_or_401(request, runtime, session)
    return history_json(history_of(runtime, session, me.citizen_id, before=before, kind=kind, limit=limit))


@router.get("/services", response_model=ServicesOut, responses=NO_SESSION)
def services(request: Request, runtime: RuntimeDep, session: SessionDep):
    """The services I share information with, by registered name: what I allowed each to receive,
    and what each received and when (from my history), newest first."""
    me = me_or_401(request, runtime, session)
    events = all_events(history_of(runtime, session, me.citizen_id, kind="services"))
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
    history = whole_history(runtime, session, me.citizen_id)
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


@router.patch("/passkeys/{credential_id}", response_model=PasskeyOut, responses={
    **NO_SESSION, **NO_PASSKEY,
    422: {"model": ErrorResponse, "description": "The name is too long or has control characters "
                                                 "(passkey.name_invalid)."}})
def rename_passkey(credential_id: str, body: PasskeyRename, request: Request, runtime: RuntimeDep,
                   session: SessionDep):
    """Name one of my passkeys ("Work laptop"), so I can tell them apart."""
    me = me_or_401(request, runtime, session)
    return PasskeyService.from_runtime(runtime, session).rename(me.citizen_id, credential_id, body.name).to_json()


@router.delete("/passkeys/{credential_id}", status_code=204, responses={
    **NO_SESSION, **NO_PASSKEY,
    409: {"model": ErrorResponse, "description": "It is my only passkey (passkey.last_one)."}})
def remove_passkey(credential_id: str, request: Request, runtime: RuntimeDep, session: SessionDep):
    """Remove one of my passkeys: it no longer signs in. Never the last one: I add another first."""
    me = me_or_401(request, runtime, session)
    PasskeyService.from_runtime(runtime, session).remove(me.citizen_id, credential_id)
    return Response(status_code=204)


@router.delete("/sessions/{session_id}", status_code=204, responses={
    **NO_SESSION, 404: {"model": ErrorResponse,
                        "description": "No active session of mine has this id (account.session_not_found)."}})
def end_session(session_id: str, request: Request, runtime: RuntimeDep, session: SessionDep):
    """Sign out one of my sessions (its id from GET /api/v1/me); the services I use are told
    (Back-Channel Logout). Ending this browser's session clears its cookie."""
    me = me_or_401(request, runtime, session)
    AccountService(runtime, session).end_session(me.citizen_id, session_id)
    response = Response(status_code=204)
    if public_id_of_token(session_token_of(request)) == session_id:
        clear_session_cookie(response)
    return response


@router.delete("/sessions", response_model=SessionsEnded, responses=NO_SESSION)
def end_all_sessions(request: Request, runtime: RuntimeDep, session: SessionDep):
    """Sign out everywhere, this browser too; the services I use are told for every session."""
    me = me_or_401(request, runtime, session)
    response = JSONResponse({"ended": AccountService(runtime, session).end_all_sessions(me.citizen_id)})
    clear_session_cookie(response)
    return response


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
