"""The signed-in citizen at this browser, from the session cookie."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from civicid.identity.sessions import COOKIE_NAME, SignedIn, SignInSessions
from civicid.runtime import Runtime


def signed_in_citizen(request: Request, runtime: Runtime, session: Session) -> SignedIn | None:
    return SignInSessions(session, runtime.clock).resolve(request.cookies.get(COOKIE_NAME))


def signed_in_citizen_or_bearer(request: Request, runtime: Runtime, session: Session) -> SignedIn | None:
    """For the citizen's own API: ``Authorization: Bearer <session_token>`` (API clients, e.g.
    right after enrolment) or else the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return SignInSessions(session, runtime.clock).resolve(header[7:].strip())
    return signed_in_citizen(request, runtime, session)


def session_token_of(request: Request) -> str | None:
    """The session token this request is authorised by (bearer first, then the cookie)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE_NAME)


def set_session_cookie(response: Response, token: str, runtime: Runtime) -> None:
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="lax", path="/",
                        secure=runtime.settings.public_url.startswith("https://"), max_age=8 * 3600)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")
