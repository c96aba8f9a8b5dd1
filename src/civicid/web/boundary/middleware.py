"""The HTTP boundary: one pure ASGI middleware in front of every route (FastAPI routes, the plain
sign-in routes, mounted apps), so that no route can forget a check.

For each request, in this order:

1. security headers are added to whatever response leaves (``headers``);
2. control characters in the URL and the headers: 400 ``request.invalid_characters`` (``text``);
3. a state-changing request from another site: 403 ``request.cross_origin`` (``origin``);
4. credentials of the route's scheme missing: the route's own 401, before its body (``body``);
5. a declared ``Content-Length`` over the route's limit: 413 ``request.too_large`` (``body``);
6. then the route runs, and reads its body through a limit: past it, 413 ``request.too_large``;
   a JSON or form body is read whole and refused (400) if it holds control characters.

Steps 2-5 answer before the route runs and before any of the body is read. Safe methods (GET,
HEAD, OPTIONS) skip steps 3-5: they change nothing, and a body they send is only bounded.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicid.errors import CivicIDError
from civicid.web.boundary import text
from civicid.web.boundary.body import BodyLimits, missing_credentials, too_large_message
from civicid.web.boundary.headers import HeaderSets
from civicid.web.boundary.origin import PROTOCOL_ENDPOINTS, SAFE_METHODS, is_cross_site
from civicid.web.errors import BodyTooLarge, CrossOrigin, InvalidCharacters, civicid_error_response

_JSON_TYPE, _JSON_SUFFIX = b"application/json", b"+json"
_FORM_TYPE = b"application/x-www-form-urlencoded"
_WANTED = frozenset({b"authorization", b"content-length", b"content-type", b"host", b"origin", b"sec-fetch-site"})


class Boundary:
    def __init__(self, app: ASGIApp, *, limits: BodyLimits, headers: HeaderSets, public_origin: bytes) -> None:
        self.app = app
        self.limits = limits
        self.headers = headers
        self.public_origin = public_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send, self.headers.for_path(scope["path"]))
        method = scope["method"]
        path = scope["path"]
        seen = {name: value for name, value in scope["headers"] if name in _WANTED}
        authorization = seen.get(b"authorization")
        if not (text.url_is_clean(path, scope["query_string"])
                and text.header_is_clean(b" ".join([value for _, value in scope["headers"]]))
                and (authorization is None or text.authorization_is_clean(authorization))):
            await _refuse(InvalidCharacters(), scope, receive, send)
            return
        if method in SAFE_METHODS:
            await self.app(scope, _limited(receive, self.limits.default), send)
            return
        if (method, path) not in PROTOCOL_ENDPOINTS and is_cross_site(
                fetch_site=seen.get(b"sec-fetch-site"), origin=seen.get(b"origin"), host=seen.get(b"host"),
                public_origin=self.public_origin):
            await _refuse(CrossOrigin(), scope, receive, send)
            return
        refusal = missing_credentials(path, authorization)
        if refusal is not None:
            await _refuse(refusal, scope, receive, send)
            return
        limit = self.limits.limit_for(method, path)
        content_length = seen.get(b"content-length")
        if content_length is not None and content_length.isdigit() and int(content_length) > limit:
            await _refuse(BodyTooLarge(too_large_message(limit)), scope, receive, send)
            return
        receive = _limited(receive, limit)
        content_type = seen.get(b"content-type")
        if content_type is not None:
            media_type = content_type.split(b";", 1)[0].strip().lower()
            if media_type == _FORM_TYPE:
                receive = _scanned(receive, text.form_is_clean)
            elif media_type == _JSON_TYPE or media_type.endswith(_JSON_SUFFIX):
                receive = _scanned(receive, text.json_is_clean)
        await self.app(scope, receive, send)


async def _refuse(error: CivicIDError, scope: Scope, receive: Receive, send: Send) -> None:
    # the message in the request's language (civicid.web.i18n); the code as always
    await civicid_error_response(error, Request(scope))(scope, receive, send)


def _with_headers(send: Send, headers: tuple[tuple[bytes, bytes], ...]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = message.get("headers") or []
            names = {name.lower() for name, _ in present}
            missing = [header for header in headers if header[0] not in names]
            if missing:
                message = {**message, "headers": [*present, *missing]}
        await send(message)

    return send_with_headers


def _limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(too_large_message(limit))
        return message

    return receive_within_limit


def _scanned(receive: Receive, is_clean) -> Receive:
    """The body read whole (it is within the limit) on the route's first read, and refused if
    ``is_clean`` says so; then given to the route in one message."""
    done = False

    async def receive_scanned() -> Message:
        nonlocal done
        if done:
            return await receive()
        done = True
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not is_clean(body):
            raise InvalidCharacters()
        return {"type": "http.request", "body": body, "more_body": False}

    return receive_scanned
