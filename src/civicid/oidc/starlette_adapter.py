"""Authlib's OAuth 2 server classes for Starlette/FastAPI requests.

Authlib ships Flask and Django integrations only; this follows the Flask one
(``authlib/integrations/flask_oauth2``) with two differences that suit an async framework and a
per-request database session:

* the HTTP request is read first (``await read_oauth2_request``) into an ``OAuth2Request`` that
  needs no event loop, so the server's blocking storage hooks can run in a worker thread;
* ``handle_response`` returns a framework-neutral ``OAuthResponse``, turned into a Starlette
  response by ``to_starlette`` at the edge.

URIs given to Authlib are built from the issuer (``settings.public_url``), not from the Host
header, so a spoofed host cannot change what the provider believes its own address is.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl

from authlib.oauth2 import AuthorizationServer, OAuth2Request, ResourceProtector
from authlib.oauth2.rfc6749 import JsonPayload, JsonRequest, OAuth2Payload
from starlette.requests import Request
from starlette.responses import Response

Pairs = tuple[tuple[str, str], ...]
MAX_FORM_FIELDS = 64


class StarletteOAuth2Payload(OAuth2Payload):
    """Query and form parameters; the first value of a repeated parameter wins, as in Flask's
    ``request.values``, and ``datalist`` keeps all of them so repeats can be refused."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    def __init__(self, method: str, uri: str, headers: Mapping[str, str], *, query: Pairs = (),
                 form: Pairs = ()) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.query_pairs = query
        self.form_pairs = form
        self._args = dict(reversed(query))  # first value wins
        self._form = dict(reversed(form))
        self.payload = StarletteOAuth2Payload(query + form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class StarletteJsonPayload(JsonPayload):
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class StarletteJsonRequest(JsonRequest):
    """``body_tokens``: the ``access_token`` values of a form-encoded POST body (RFC 6750 §2.2),
    for a resource endpoint; all of them, so that a repeated one can be refused."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], data: dict[str, Any] | None = None,
                 *, body_tokens: tuple[str, ...] = ()):
        super().__init__(method, uri, headers)
        self.payload = StarletteJsonPayload(data or {})
        self.body_tokens = body_tokens


def oauth2_request(method: str, issuer: str, path: str, headers: Mapping[str, str], *, query: str = "",
                   form: Pairs = ()) -> StarletteOAuth2Request:
    """An ``OAuth2Request`` for ``path`` under the issuer (also used to replay a stored
    authorization request when the consent form comes back)."""
    uri = issuer + path + (f"?{query}" if query else "")
    pairs = tuple(parse_qsl(query, keep_blank_values=True))
    return StarletteOAuth2Request(method.upper(), uri, headers, query=pairs, form=form)


async def read_oauth2_request(request: Request, *, issuer: str) -> StarletteOAuth2Request:
    form: Pairs = ()
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            data = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
            form = tuple((k, v) for k, v in data.multi_items() if isinstance(v, str))
    return oauth2_request(request.method, issuer, request.url.path, request.headers, query=request.url.query,
                          form=form)


def json_request(request: Request, *, issuer: str, body_tokens: tuple[str, ...] = ()) -> StarletteJsonRequest:
    uri = issuer + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return StarletteJsonRequest(request.method, uri, request.headers, body_tokens=body_tokens)


async def read_resource_request(request: Request, *, issuer: str) -> StarletteJsonRequest:
    """A request to a protected resource. RFC 6750 §2.2: an access token may come in the body
    of a POST whose Content-Type is ``application/x-www-form-urlencoded``; never a GET's. Other
    bodies are not read."""
    tokens: tuple[str, ...] = ()
    if request.method == "POST" and request.headers.get("content-type", "").split(";", 1)[0].strip().lower() \
            == "application/x-www-form-urlencoded":
        data = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
        tokens = tuple(value for value in data.getlist("access_token") if isinstance(value, str))
    return json_request(request, issuer=issuer, body_tokens=tokens)


@dataclass(frozen=True, slots=True)
class OAuthResponse:
    status: int
    body: str | dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


def to_starlette(response: OAuthResponse) -> Response:
    body = response.body
    headers = dict(response.headers)
    if isinstance(body, dict):
        headers.setdefault("Content-Type", "application/json")
        return Response(json.dumps(body), status_code=response.status, headers=headers)
    return Response(body or b"", status_code=response.status, headers=headers)


class StarletteAuthorizationServer(AuthorizationServer):
    """The framework half of ``authlib.integrations.flask_oauth2.AuthorizationServer``."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("read the Starlette request with read_oauth2_request() first")

    def create_json_request(self, request: Any) -> JsonRequest:
        if isinstance(request, JsonRequest):
            return request
        raise TypeError("build the JSON request with json_request() first")

    def handle_response(self, status: int, body: Any, headers: Iterable[tuple[str, str]]) -> OAuthResponse:
        return OAuthResponse(status, body, tuple(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Flask sends blinker signals here; nothing listens in CivicID."""


class StarletteResourceProtector(ResourceProtector):
    """``ResourceProtector`` for a pre-read request; errors are raised as ``OAuth2Error`` and
    turned into responses (with ``WWW-Authenticate``) by the caller."""

    def acquire_token(self, request: JsonRequest, scopes: list[str] | None = None):
        return self.validate_request(scopes=scopes, request=request)
