"""Drive the ASGI app directly, to see how much of a request body it pulled before answering
(TestClient reads the whole body before the app runs, so it cannot show that)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable

from fastapi.routing import iter_route_contexts
from tests.support.aio import run_sync

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Reply:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    pulled: int = 0  # request body bytes the app asked for

    def json(self):
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None


def call(app, method: str, path: str, *, headers: Iterable[tuple[str, str]] = (), chunks: Iterable[bytes] = (),
         query: str = "", client: tuple[str, int] = ("203.0.113.7", 50000)) -> Reply:
    reply = Reply()
    pending = iter(chunks)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"localhost:8000"), *((k.lower().encode(), v.encode()) for k, v in headers)],
             "client": client, "server": ("localhost", 8000), "state": {}}

    async def receive():
        chunk = next(pending, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        reply.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            reply.body += message.get("body", b"")

    run_sync(app(scope, receive, send))
    return reply


def unsafe_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, path parameters filled in."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = re.sub(r"\{[^}]+\}", "x", route.path_format)
        for method in sorted((route.methods or set()) - SAFE_METHODS):
            found.append((method, path))
    return found
