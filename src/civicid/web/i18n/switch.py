"""The language switch on every page: ``GET /lang?to=zh-CN&next=/signin`` keeps the choice in a
cookie and goes back to ``next``, a same-origin path only (``safe_next``). Plain links, so it
works without JavaScript; a GET, because choosing a language changes nothing but the pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from civicid.web.i18n.negotiation import COOKIE_NAME, SUPPORTED
from civicid.web.i18n.request import SWITCH_PATH

router = APIRouter(include_in_schema=False)
COOKIE_MAX_AGE = 365 * 24 * 3600


@router.get(SWITCH_PATH)
def switch_language(request: Request, to: str | None = None, next: str | None = None) -> RedirectResponse:
    from civicid.web.routes.pages import safe_next  # the one open-redirect guard

    response = RedirectResponse(safe_next(next, default="/"), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if to in SUPPORTED:
        response.set_cookie(COOKIE_NAME, to, max_age=COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True,
                            secure=request.app.state.settings.public_url.startswith("https://"))
    return response
