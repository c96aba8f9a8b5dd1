"""The OpenID provider's HTTP surface: thin handlers over ``civicid.oidc.service.OidcProvider``.

Every handler reads the request first, then does its work in one short transaction on the event
loop (``deps.short_unit``), committed before the response leaves (a code must exist before the
client can redeem it).
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from civicid import __version__
from civicid.errors import CivicIDError
from civicid.identity.sessions import COOKIE_NAME
from civicid.oidc.discovery import (AUTHORIZE_PATH, CONSENT_PATH, DISCOVERY_PATH, JWKS_PATH, LOGOUT_PATH,
                                    PAR_PATH, TOKEN_PATH, USERINFO_PATH, issuer_of, openid_configuration)
from civicid.oidc.errors import SignInRequired
from civicid.oidc.service import (ConsentNeeded, ErrorPage, LogoutConfirm, OidcProvider, SignedOut,
                                  SignInNeeded)
from civicid.oidc.starlette_adapter import (OAuthResponse, StarletteOAuth2Request, oauth2_request,
                                            read_oauth2_request, read_resource_request, to_starlette)
from civicid.runtime import Runtime
from civicid.web.citizen_session import clear_session_cookie, signed_in_citizen, signed_in_citizen_or_bearer
from civicid.web.deps import RuntimeDep, plain_route, runtime_of, short_unit
from civicid.web.errors import error_response

router = APIRouter(tags=["oidc"])

# The consent and logout pages must not be framed by another site (clickjacking a consent): the
# HTTP boundary sends frame-ancestors 'none' (and the other security headers) with every response.
PAGE_HEADERS = {"Cache-Control": "no-store"}

# The discovery document and the JWKS are public and read without credentials, so any origin may
# read them (Fetch standard, CORS protocol): a relying party running in a browser starts there.
# No Access-Control-Allow-Credentials: with "*" browsers send no cookies and read no responses
# that need them.
PUBLIC_CORS = {"Access-Control-Allow-Origin": "*"}
PUBLIC_PREFLIGHT = {**PUBLIC_CORS, "Access-Control-Allow-Methods": "GET", "Access-Control-Allow-Headers": "*",
                    "Access-Control-Max-Age": "86400"}


def _all_or_nothing(work: Callable):
    """Unlike other domains, nothing here is worth keeping from a unit that failed: if recording
    a claim release fails, the code must stay unredeemed and no token may exist, so the client
    can simply retry."""

    def unit(session):
        try:
            return work(session)
        except CivicIDError:
            session.rollback()
            raise

    return unit


def _provider(runtime: Runtime, session, request: Request) -> OidcProvider:
    return OidcProvider(runtime, session, session_token=request.cookies.get(COOKIE_NAME))


async def _read(request: Request, runtime: Runtime) -> StarletteOAuth2Request:
    return await read_oauth2_request(request, issuer=issuer_of(runtime.settings.public_url))


def _page(request: Request, template: str, status: int = 200, **context) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, template, {"version": __version__, **context}, status_code=status, headers=PAGE_HEADERS)


def _respond(request: Request, outcome, *, after_post: bool = False) -> Response:
    if isinstance(outcome, OAuthResponse):
        return to_starlette(outcome)
    if isinstance(outcome, SignInNeeded):
        return RedirectResponse(outcome.location, status_code=303 if after_post else 302)
    if isinstance(outcome, ConsentNeeded):
        return _page(request, "oidc/consent.html", consent=outcome, action=CONSENT_PATH)
    if isinstance(outcome, LogoutConfirm):
        return _page(request, "oidc/logout.html", confirm=outcome, action=LOGOUT_PATH)
    if isinstance(outcome, SignedOut):
        response = (to_starlette(outcome.redirect) if outcome.redirect is not None
                    else _page(request, "oidc/logout.html", confirm=None, action=LOGOUT_PATH))
        clear_session_cookie(response)
        return response
    if isinstance(outcome, ErrorPage):
        return _page(request, "oidc/error.html", status=outcome.status, error=outcome)
    raise TypeError(f"unexpected outcome {outcome!r}")


async def _run(request: Request, runtime: Runtime, work: Callable, *, after_post: bool = False,
               browser: bool = True) -> Response:
    """``browser``: the endpoint acts for the citizen at the browser (their session is read)."""
    try:
        oauth_request = await _read(request, runtime)
    except OAuth2Error as error:  # e.g. insecure_transport: public_url is http on a non-loopback host
        return error_response(400, f"oidc.{error.error}", error.description or "The request is not valid.")

    def unit(session):
        signed = signed_in_citizen(request, runtime, session) if browser else None
        return work(_provider(runtime, session, request), oauth_request, signed)

    return _respond(request, await short_unit(runtime, _all_or_nothing(unit)), after_post=after_post)


@router.get(DISCOVERY_PATH)
def discovery(runtime: RuntimeDep) -> JSONResponse:
    """OpenID Provider Metadata (OIDC Discovery 1.0 §4), readable from any origin."""
    return JSONResponse(openid_configuration(issuer_of(runtime.settings.public_url)),
                        headers={"Cache-Control": "public, max-age=300", **PUBLIC_CORS})


async def public_preflight(request: Request) -> Response:
    """The CORS preflight of the public metadata (Fetch standard, "CORS-preflight request"): any
    origin, GET, any request header ("*" is a wildcard when no credentials are sent)."""
    return Response(status_code=204, headers=PUBLIC_PREFLIGHT)


router.add_route(DISCOVERY_PATH, public_preflight, methods=["OPTIONS"], include_in_schema=False)
router.add_route(JWKS_PATH, public_preflight, methods=["OPTIONS"], include_in_schema=False)


@plain_route(router, AUTHORIZE_PATH, methods=["GET"])
async def authorize(request: Request) -> Response:
    """Authorization endpoint (OIDC Core §3.1.2): sign in, consent, then a code to the client."""
    return await _run(request, runtime_of(request), lambda provider, req, signed: provider.authorize(req, signed))


@router.post(AUTHORIZE_PATH, include_in_schema=False)
async def authorize_post(request: Request, runtime: RuntimeDep) -> Response:
    """OIDC Core §3.1.2.1: the same request, form-encoded."""
    try:
        posted = await _read(request, runtime)
    except OAuth2Error as error:
        return error_response(400, f"oidc.{error.error}", error.description or "The request is not valid.")
    as_get = oauth2_request("GET", issuer_of(runtime.settings.public_url), AUTHORIZE_PATH, request.headers,
                            query=urlencode(posted.form_pairs))

    def unit(session):
        return _provider(runtime, session, request).authorize(as_get, signed_in_citizen(request, runtime, session))

    return _respond(request, await short_unit(runtime, _all_or_nothing(unit)), after_post=True)


@router.post(CONSENT_PATH, include_in_schema=False)
async def consent(request: Request, runtime: RuntimeDep) -> Response:
    """The consent page's answer (CSRF-checked against the browser's sign-in session)."""
    return await _run(request, runtime, lambda provider, req, signed: provider.decide(req, signed), after_post=True)


@plain_route(router, TOKEN_PATH, methods=["POST"])
async def token(request: Request) -> Response:
    """Token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3): authorization_code and refresh_token."""
    return await _run(request, runtime_of(request), lambda provider, req, signed: provider.token(req), browser=False)


@plain_route(router, PAR_PATH, methods=["POST"])
async def pushed_authorization_request(request: Request) -> Response:
    """Pushed authorization request endpoint (RFC 9126 §2): a client-authenticated POST of the
    authorization request, answered with a one-time ``request_uri``."""
    return await _run(request, runtime_of(request), lambda provider, req, signed: provider.push(req), browser=False)


@plain_route(router, USERINFO_PATH, methods=["GET", "POST"])
async def userinfo(request: Request) -> Response:
    """UserInfo endpoint (OIDC Core §5.3): bearer token in the Authorization header or in a
    form-encoded POST body (RFC 6750 §2.1, §2.2)."""
    runtime = runtime_of(request)
    req = await read_resource_request(request, issuer=issuer_of(runtime.settings.public_url))
    return to_starlette(await short_unit(runtime, _all_or_nothing(
        lambda session: _provider(runtime, session, request).userinfo(req))))


@router.get(JWKS_PATH)
async def jwks(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The ID-token signing keys (RFC 7517), old ones kept until their tokens expired; readable
    from any origin."""
    keys = await short_unit(runtime, lambda session: _provider(runtime, session, request).jwks())
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=60", **PUBLIC_CORS})


@router.api_route(LOGOUT_PATH, methods=["GET", "POST"], include_in_schema=False)
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    """RP-Initiated Logout 1.0 (end_session_endpoint)."""
    return await _run(request, runtime, lambda provider, req, signed: provider.logout(req, signed=signed),
                      after_post=request.method == "POST")


# --- the citizen's consents --------------------------------------------------------------------

def _citizen(request: Request, runtime: Runtime, session):
    signed = signed_in_citizen_or_bearer(request, runtime, session)
    if signed is None:
        raise SignInRequired()
    return signed


@router.get("/api/v1/me/consents", tags=["citizen"])
async def my_consents(request: Request, runtime: RuntimeDep) -> dict:
    """The services I have shared claims with, and which claims."""

    def unit(session):
        me = _citizen(request, runtime, session)
        return {"consents": [
            {"client_id": c.client_id, "client_name": c.client_name, "claims": list(c.granted),
             "declined": [item for item in c.asked if item not in c.granted], "granted_at": c.granted_at.isoformat()}
            for c in _provider(runtime, session, request).consents(me.citizen_id)
        ]}

    return await short_unit(runtime, _all_or_nothing(unit))


@router.delete("/api/v1/me/consents/{client_id}", status_code=204, tags=["citizen"])
async def revoke_my_consent(client_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """Withdraw consent: the service's access and refresh tokens for me stop working at once."""

    def unit(session):
        me = _citizen(request, runtime, session)
        _provider(runtime, session, request).revoke_consent(me.citizen_id, client_id)

    await short_unit(runtime, _all_or_nothing(unit))
    return Response(status_code=204)
