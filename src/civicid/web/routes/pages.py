"""The citizen's pages: sign in with a passkey, enrol (or recover) by face, the account page.

The pages are plain HTML with small scripts in /static/citizen/ (no build step, no CDN); the
scripts call the JSON API. The account page's actions (revoke a service, rotate the network ID,
download, delete) are plain forms that work without JavaScript: each carries an HMAC of this
browser's session token and the action, on top of the HTTP boundary's same-origin check.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from civicid import __version__
from civicid.audit.cosigned import SqlCosignedStore, witness_keys, witnessed_head
from civicid.identity.account import FRESH_AUTH_MAX_AGE, AccountService, ReauthenticationRequired
from civicid.identity.errors import SessionNotFound
from civicid.identity.passkey_errors import LastPasskey, PasskeyNameInvalid, PasskeyNotFound
from civicid.identity.passkeys import FRESH_FACE_MAX_AGE, MAX_PASSKEY_NAME, PasskeyService
from civicid.identity.sessions import COOKIE_NAME, public_id_of_token
from civicid.oidc.claims import LABELS
from civicid.oidc.csrf import csrf_token, csrf_valid
from civicid.oidc.errors import ConsentNotFound
from civicid.oidc.service import OidcProvider
from civicid.web.citizen_account import (
    KIND_LABELS,
    KINDS,
    PAGE_SIZE,
    all_events,
    client_names,
    history_entries,
    history_of,
    services_of,
)
from civicid.web.citizen_session import clear_session_cookie, signed_in_citizen
from civicid.web.deps import RuntimeDep, SessionDep, short_unit, unit_of_work
from civicid.web.i18n import language_of
from civicid.web.routes.me import export_document
from civicid.web.routes.tlog import log_origin

router = APIRouter(include_in_schema=False)
DEFAULT_NEXT = "/account"
MAX_NEXT = 4096


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """``value`` when it is a same-origin relative path (``/oauth2/authorize?...``), else ``default``.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers read ``/\\host`` as
    ``//host``), control characters and anything longer than ``MAX_NEXT`` — an open redirect
    would let anyone use the sign-in page to send citizens elsewhere."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def _page(request: Request, template: str, **context) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, {"version": __version__, **context})


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _page(request, "citizen/signin.html", next=safe_next(next))


@router.get("/enrol", response_class=HTMLResponse)
def enrol_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _page(request, "citizen/enrol.html", mode="enrol", next=safe_next(next))


@router.get("/recover", response_class=HTMLResponse)
def recover_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _page(request, "citizen/enrol.html", mode="recover", next=safe_next(next))


# --- the account page (DESIGN.md, "Citizen dashboard"): works without JavaScript ---------------

ACCOUNT_CSRF_PURPOSE = "citizen.account_csrf"
#: the outcome messages an action may ask the page to show (?done=...), nothing else is echoed
DONE = {
    "revoked": "The service's access was withdrawn; its tokens no longer work.",
    "rotated": "Your network ID was changed. The old one no longer works.",
    "reauth": "Deleting your CivicID needs a recent sign-in. Sign in again, then delete within 10 minutes.",
    "unknown_service": "You do not share anything with that service.",
    "confirm": "Tick the box to confirm that you want to delete your CivicID.",
    "passkey_named": "Your passkey's name was saved.",
    "passkey_removed": "The passkey was removed. It can no longer be used to sign in.",
    "passkey_last": LastPasskey.default_message,
    "passkey_unknown": PasskeyNotFound.default_message,
    "passkey_name_invalid": PasskeyNameInvalid.default_message,
    "session_ended": "That session was signed out.",
    "session_unknown": SessionNotFound.default_message,
}
#: the account page's forms, each with its own token
ACCOUNT_ACTIONS = ("revoke", "rotate", "export", "delete", "passkey", "sessions")


def _account_csrf(runtime, token: str, action: str) -> str:
    return csrf_token(runtime.keys.hmac_key(ACCOUNT_CSRF_PURPOSE), session_token=token, purpose=action)


def _form_guard(request: Request, runtime, session, form, action: str):
    """The signed-in citizen, if the form carries this session's token for ``action``. The HTTP
    boundary has already refused a cross-site POST (Sec-Fetch-Site / Origin); the token also
    binds the form to this browser's session."""
    signed_in = signed_in_citizen(request, runtime, session)
    token = request.cookies.get(COOKIE_NAME)
    if signed_in is None or not csrf_valid(runtime.keys.hmac_key(ACCOUNT_CSRF_PURPOSE), form.get("csrf"),
                                           session_token=token, purpose=action):
        return None
    return signed_in


def _back(done: str) -> RedirectResponse:
    return RedirectResponse(f"/account?done={done}", status_code=303)


def _to_signin() -> RedirectResponse:
    return RedirectResponse("/signin?next=" + quote("/account", safe=""), status_code=303)


def _page_number(value: str | None) -> int | None:
    """``?before=`` as a leaf index; anything else (a typo, a huge number) is the newest page."""
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, runtime: RuntimeDep, session: SessionDep, done: str | None = None,
                 before: str | None = None, kind: str | None = None):
    signed_in = signed_in_citizen(request, runtime, session)
    if signed_in is None:
        return _to_signin()
    token = request.cookies.get(COOKIE_NAME)
    held = AccountService(runtime, session).held(signed_in.citizen_id, current_token=token, purpose="account page")
    kind = kind if kind in KINDS else None
    before_index = _page_number(before)
    page = history_of(runtime, session, signed_in.citizen_id, before=before_index, kind=kind, limit=PAGE_SIZE)
    page_events = all_events(page)
    services = services_of(runtime, session, signed_in.citizen_id,
                           all_events(history_of(runtime, session, signed_in.citizen_id, kind="services")))
    history = history_entries(page, client_names(session, page_events), LABELS, gettext=language_of(request).gettext)
    witnessed = witnessed_head(SqlCosignedStore(session, log_origin(request)),
                               witnesses=witness_keys(runtime.settings.log_witnesses))
    now = runtime.clock.now()
    fresh_face = "face" in signed_in.amr and now - signed_in.auth_time <= FRESH_FACE_MAX_AGE
    return _page(request, "citizen/account.html", held=held, network_id=held.network_id, passkeys=held.passkeys,
                 services=services, history=history, labels=LABELS, message=DONE.get(done or ""),
                 head=page.head, head_signed_at=datetime.fromtimestamp(page.head.timestamp_ms / 1000, timezone.utc),
                 witnessed=witnessed, kind=kind, kinds=KIND_LABELS, paged=before_index is not None,
                 older=page.items[0].index if page.has_older and page.items else None,
                 max_passkey_name=MAX_PASSKEY_NAME,
                 amr=signed_in.amr, acr=signed_in.acr, auth_time=signed_in.auth_time, can_add_passkey=fresh_face,
                 fresh_for_delete=now - signed_in.auth_time <= FRESH_AUTH_MAX_AGE,
                 csrf={action: _account_csrf(runtime, token, action)
                       for action in ACCOUNT_ACTIONS})


async def _account_action(request: Request, runtime, action: str, work, *, short: bool = True):
    """A form of the account page: the citizen's session and the form's token checked, then
    ``work(session, signed_in, form)`` in one unit of work (on the event loop when ``short``)."""
    form = await request.form()

    def unit(session):
        signed_in = _form_guard(request, runtime, session, form, action)
        return _to_signin() if signed_in is None else work(session, signed_in, form)

    if short:
        return await short_unit(runtime, unit)
    return await run_in_threadpool(unit_of_work, runtime, unit)


@router.post("/account/services/revoke")
async def account_revoke(request: Request, runtime: RuntimeDep):
    def revoke(session, signed_in, form):
        try:
            OidcProvider(runtime, session).revoke_consent(signed_in.citizen_id, str(form.get("client_id") or ""))
        except ConsentNotFound:
            return _back("unknown_service")
        return _back("revoked")

    return await _account_action(request, runtime, "revoke", revoke)


@router.post("/account/network-id")
async def account_rotate(request: Request, runtime: RuntimeDep):
    def rotate(session, signed_in, form):
        AccountService(runtime, session).rotate_network_id(signed_in.citizen_id)
        return _back("rotated")

    return await _account_action(request, runtime, "rotate", rotate)


@router.post("/account/passkeys/name")
async def account_passkey_name(request: Request, runtime: RuntimeDep):
    def rename(session, signed_in, form):
        try:
            PasskeyService.from_runtime(runtime, session).rename(
                signed_in.citizen_id, str(form.get("credential_id") or ""), str(form.get("name") or ""))
        except PasskeyNotFound:
            return _back("passkey_unknown")
        except PasskeyNameInvalid:
            return _back("passkey_name_invalid")
        return _back("passkey_named")

    return await _account_action(request, runtime, "passkey", rename)


@router.post("/account/passkeys/remove")
async def account_passkey_remove(request: Request, runtime: RuntimeDep):
    def remove(session, signed_in, form):
        try:
            PasskeyService.from_runtime(runtime, session).remove(signed_in.citizen_id,
                                                                 str(form.get("credential_id") or ""))
        except PasskeyNotFound:
            return _back("passkey_unknown")
        except LastPasskey:
            return _back("passkey_last")
        return _back("passkey_removed")

    return await _account_action(request, runtime, "passkey", remove)


def _signed_out() -> RedirectResponse:
    response = RedirectResponse("/signin?next=" + quote("/account", safe=""), status_code=303)
    clear_session_cookie(response)
    return response


@router.post("/account/sessions/end")
async def account_session_end(request: Request, runtime: RuntimeDep):
    def end(session, signed_in, form):
        session_id = str(form.get("session_id") or "")
        try:
            AccountService(runtime, session).end_session(signed_in.citizen_id, session_id)
        except SessionNotFound:
            return _back("session_unknown")
        if public_id_of_token(request.cookies.get(COOKIE_NAME)) == session_id:
            return _signed_out()
        return _back("session_ended")

    return await _account_action(request, runtime, "sessions", end)


@router.post("/account/sessions/end-all")
async def account_sessions_end_all(request: Request, runtime: RuntimeDep):
    def end_all(session, signed_in, form):
        AccountService(runtime, session).end_all_sessions(signed_in.citizen_id)
        return _signed_out()

    return await _account_action(request, runtime, "sessions", end_all)


@router.post("/account/export")
async def account_export(request: Request, runtime: RuntimeDep):
    def export(session, signed_in, form):
        document = export_document(runtime, session, signed_in, request.cookies.get(COOKIE_NAME))
        return JSONResponse(document, headers={"Content-Disposition": 'attachment; filename="civicid-export.json"',
                                               "Cache-Control": "no-store"})

    # the whole history with its proofs: not a short unit, so off the event loop
    return await _account_action(request, runtime, "export", export, short=False)


@router.post("/account/delete", response_class=HTMLResponse)
async def account_delete(request: Request, runtime: RuntimeDep):
    def delete(session, signed_in, form):
        if form.get("confirm") != "delete":
            return _back("confirm")
        try:
            AccountService(runtime, session).delete(signed_in)
        except ReauthenticationRequired:
            return _back("reauth")
        return None

    outcome = await _account_action(request, runtime, "delete", delete)
    if outcome is not None:
        return outcome
    response = _page(request, "citizen/deleted.html")
    clear_session_cookie(response)
    return response
