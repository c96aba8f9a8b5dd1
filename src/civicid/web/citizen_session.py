"""The signed-in citizen at this browser, from the session cookie."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from civicid.identity.sessions import COOKIE_NAME, SignedIn, SignInSessions
from civicid.runtime import Runtime


def signed_in_citizen(request: Request, runtime: Runtime, session: Session) -> SignedIn | None:
    return SignInSessions(session, runtime.clock).resolve(request.cookies.get(COOKIE_NAME))


def set_session_cookie(response: Response, token: str, runtime: Runtime) -> None:
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="lax", path="/",
                        secure=runtime.settings.public_url.startswith("https://"), max_age=8 * 3600)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")
