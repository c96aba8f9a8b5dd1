"""Every API error leaves as ``{"error": {"code", "message"[, "detail"]}}`` with a stable code.

The ``code`` never changes with the language; the ``message`` is in the request's language
(``civicid_lang`` cookie, else Accept-Language: :mod:`civicid.web.i18n`) when the catalogue has
it, and so are the HTML error pages a browser gets.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicid import __version__
from civicid.db import is_outage
from civicid.errors import CivicIDError
from civicid.web.i18n import DEFAULT as DEFAULT_LOCALE
from civicid.web.i18n import N_, language_of

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


#: our words for the statuses the framework answers itself (its own texts are "Not Found" and the like)
_HTTP_MESSAGES = {
    400: N_("The request is not valid."),
    401: N_("Sign in first."),
    403: N_("This is not allowed."),
    404: N_("Not found."),
    405: N_("This address does not accept this method."),
    413: N_("The request body is too large."),
    415: N_("This type of content is not accepted here."),
    429: N_("Too many requests. Wait a moment, then try again."),
}
INTERNAL_MESSAGE = N_("Something went wrong on our side.")
INVALID_MESSAGE = N_("The request is not valid.")


def _status_message(status: int) -> str:
    return _HTTP_MESSAGES.get(status, INVALID_MESSAGE if 400 <= status < 500 else INTERNAL_MESSAGE)


def translated(request: Request | None, message: str, status: int | None = None) -> str:
    """``message`` in the request's language when the catalogue has it. One it lacks stays as it
    is for English readers; others get the status's own message (``status`` given), in their language."""
    if request is None:
        return message
    language = language_of(request)
    if status is None or language.knows(message) or language.locale == DEFAULT_LOCALE:
        return language.gettext(message)
    return language.gettext(_status_message(status))


def http_message(status: int, detail: object) -> str:
    """The framework's default text for a status ("Not Found") becomes ours; a route's own detail stays."""
    text = str(detail)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = None
    if text == phrase or not text:
        return _status_message(status)
    return text


def error_response(status: int, code: str, message: str, detail: object = None, headers=None,
                   request: Request | None = None):
    body: dict = {"code": code, "message": translated(request, message, status)}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def error_message(request: Request | None, error: CivicIDError) -> str:
    """The error's message in the request's language. A message written at the raise site that
    the catalogue does not hold (specific, often for a developer) stays as it is in English; in
    another language the class's own message is used, so a Chinese reader never gets English."""
    if request is None:
        return error.message
    language = language_of(request)
    if language.knows(error.message) or language.locale == DEFAULT_LOCALE:
        return language.gettext(error.message)
    return language.gettext(type(error).default_message)


def civicid_error_response(error: CivicIDError, request: Request | None = None) -> JSONResponse:
    """The typed error as JSON; its message in ``request``'s language when one is given."""
    body = error.to_json()
    body["error"]["message"] = error_message(request, error)
    return JSONResponse(body, status_code=error.status, headers=getattr(error, "headers", None))


#: an HTML page for these statuses when a browser asks for a page (not under /api/)
_PAGES = {
    401: (N_("Sign in first"), N_("This page is only for a signed-in citizen."), ("/signin", N_("Sign in"))),
    403: (N_("Not allowed"), N_("You may not open this page."), None),
    404: (N_("Page not found"), N_("There is no page at this address. Check the address, or start again from the "
                                   "home page."), None),
    405: (N_("This page cannot be used that way"), N_("If you sent a form, your browser may have JavaScript turned "
                                                      "off: the camera step and passkeys need it."), None),
}


def wants_page(request: Request, status: int) -> bool:
    """A browser asking for a page: not an API path, and ``text/html`` in its Accept header.
    API clients (and every path under /api/) keep the typed JSON."""
    if status not in _PAGES or request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, headers=None):
    heading, text, link = _PAGES[status]
    language = language_of(request)
    link = (link[0], language.gettext(link[1])) if link else None
    response = request.app.state.templates.TemplateResponse(
        request, "error.html", {"version": __version__, "heading": language.gettext(heading),
                                "text": language.gettext(text), "link": link},
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
        return civicid_error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        fields = [
            {"loc": [str(p) for p in err.get("loc", ())], "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        return error_response(422, "request.invalid", INVALID_MESSAGE, fields, request=request)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if wants_page(request, exc.status_code):
            return error_page(request, exc.status_code, exc.headers)
        code = _HTTP_CODES.get(exc.status_code, "request.error")
        return error_response(exc.status_code, code, http_message(exc.status_code, exc.detail), headers=exc.headers,
                              request=request)

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def _database_error(request: Request, exc: sa_exc.SQLAlchemyError):
        """Handled here, not as an unexpected error: the answer is a typed one, and the
        connection stays open (an error that escapes the app closes it)."""
        if is_outage(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
            return civicid_error_response(ServiceUnavailable(), request)
        if isinstance(exc, sa_exc.DataError) and _carries_nul(exc.params):
            # PostgreSQL cannot store NUL in text; the boundary refuses it first, this is the backstop
            return civicid_error_response(InvalidCharacters(), request)
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal", INTERNAL_MESSAGE, request=request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", INTERNAL_MESSAGE, request=request,
                              headers=getattr(request.app.state, "security_headers", None))
