"""The citizen's pages: sign in with a passkey, enrol (or recover) by face, the account page.

The pages are plain HTML with small scripts in /static/citizen/ (no build step, no CDN); the
scripts call the JSON API.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from civicid import __version__
from civicid.identity.passkeys import FRESH_FACE_MAX_AGE, PasskeyService
from civicid.identity.service import CitizenService
from civicid.web.citizen_session import signed_in_citizen
from civicid.web.deps import RuntimeDep, SessionDep

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


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, runtime: RuntimeDep, session: SessionDep):
    signed_in = signed_in_citizen(request, runtime, session)
    if signed_in is None:
        return RedirectResponse("/signin?next=" + quote("/account", safe=""), status_code=303)
    citizen = CitizenService(session, runtime.vault(session), runtime.clock).get(signed_in.citizen_id)
    passkeys = PasskeyService.from_runtime(runtime, session).list_for(citizen.id)
    fresh_face = "face" in signed_in.amr and runtime.clock.now() - signed_in.auth_time <= FRESH_FACE_MAX_AGE
    return _page(request, "citizen/account.html", network_id=citizen.network_id, passkeys=passkeys,
                 amr=signed_in.amr, acr=signed_in.acr, auth_time=signed_in.auth_time, can_add_passkey=fresh_face)
