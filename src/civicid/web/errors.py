"""Every API error leaves as ``{"error": {"code", "message"[, "detail"]}}`` with a stable code."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicid import __version__
from civicid.db import is_outage
from civicid.errors import CivicIDError

log = logging.getLogger("civicid.web")

#: seconds a client is asked to wait (Retry-After) when the database is unavailable
RETRY_AFTER_S = 5

_HTTP_CODES = {
    400: "request.bad",
    401: "auth.required",
    403: "auth.forbidden",
    404: "request.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    429: "request.rate_limited",
}


class BoundaryError(CivicIDError, StarletteHTTPException):
    """A request refused at the HTTP boundary (civicid.web.boundary).

    Also a Starlette ``HTTPException``: raised from ``receive`` while a route reads its body,
    FastAPI passes it on as it is, instead of answering "There was an error parsing the body"."""

    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, message: str | None = None, **detail: Any) -> None:
        CivicIDError.__init__(self, message, **detail)
        self.status_code = self.status

    def __str__(self) -> str:
        return self.message


class BodyTooLarge(BoundaryError):
    code = "request.too_large"
    status = 413
    default_message = "The request body is too large."


class CrossOrigin(BoundaryError):
    code = "request.cross_origin"
    status = 403
    default_message = "This request came from another site; CivicID accepts it only from its own pages."


class InvalidCharacters(BoundaryError):
    code = "request.invalid_characters"
    status = 400
    default_message = "The request contains control characters."


class ServiceUnavailable(CivicIDError):
    code = "service.unavailable"
    status = 503
    default_message = "The service is briefly unavailable. Try again in a few seconds."
    headers = {"Retry-After": str(RETRY_AFTER_S)}


class NotReady(CivicIDError):
    code = "service.not_ready"
    status = 503
    default_message = "This instance is not ready to serve."
    headers = {"Retry-After": str(RETRY_AFTER_S)}


def error_response(status: int, code: str, message: str, detail: object = None, headers=None):
    body: dict = {"code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def civicid_error_response(error: CivicIDError) -> JSONResponse:
    return JSONResponse(error.to_json(), status_code=error.status, headers=getattr(error, "headers", None))


#: an HTML page for these statuses when a browser asks for a page (not under /api/)
_PAGES = {
    401: ("Sign in first", "This page is only for a signed-in citizen.", ("/signin", "Sign in")),
    403: ("Not allowed", "You may not open this page.", None),
    404: ("Page not found", "There is no page at this address. Check the address, or start again from the home "
                            "page.", None),
    405: ("This page cannot be used that way", "If you sent a form, your browser may have JavaScript turned off: "
                                               "the camera step and passkeys need it.", None),
}


def wants_page(request: Request, status: int) -> bool:
    """A browser asking for a page: not an API path, and ``text/html`` in its Accept header.
    API clients (and every path under /api/) keep the typed JSON."""
    if status not in _PAGES or request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, headers=None):
    heading, text, link = _PAGES[status]
    response = request.app.state.templates.TemplateResponse(
        request, "error.html", {"version": __version__, "heading": heading, "text": text, "link": link},
        status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _carries_nul(params: object) -> bool:
    if isinstance(params, str):
        return "\x00" in params
    if isinstance(params, dict):
        return any(_carries_nul(value) for value in params.values())
    if isinstance(params, (list, tuple)):
        return any(_carries_nul(value) for value in params)
    return False


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CivicIDError)
    async def _civicid_error(request: Request, exc: CivicIDError):
        if wants_page(request, exc.status):
            return error_page(request, exc.status, getattr(exc, "headers", None))
        return civicid_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        fields = [
            {"loc": [str(p) for p in err.get("loc", ())], "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        return error_response(422, "request.invalid", "The request is not valid.", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if wants_page(request, exc.status_code):
            return error_page(request, exc.status_code, exc.headers)
        code = _HTTP_CODES.get(exc.status_code, "request.error")
        return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def _database_error(request: Request, exc: sa_exc.SQLAlchemyError):
        """Handled here, not as an unexpected error: the answer is a typed one, and the
        connection stays open (an error that escapes the app closes it)."""
        if is_outage(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
            return civicid_error_response(ServiceUnavailable())
        if isinstance(exc, sa_exc.DataError) and _carries_nul(exc.params):
            # PostgreSQL cannot store NUL in text; the boundary refuses it first, this is the backstop
            return civicid_error_response(InvalidCharacters())
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal", "Something went wrong on our side.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "Something went wrong on our side.",
                              headers=getattr(request.app.state, "security_headers", None))
