"""Server-side sessions for the demo forum: a random cookie, the data in memory.

Authlib's Starlette client keeps ``state``, ``nonce`` and the PKCE ``code_verifier`` in
``request.session``; Starlette's own SessionMiddleware would put them in a signed cookie (and
needs ``itsdangerous``). Here the browser only holds a random id. A restart forgets everyone,
which is what a demo wants.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from http.cookies import SimpleCookie
from typing import Any, Callable

COOKIE = "demo_forum_session"


class MemorySessions:
    def __init__(self, *, ttl_s: float = 3600, max_sessions: int = 10_000,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._max, self._now = ttl_s, max_sessions, monotonic
        self._data: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def load(self, session_id: str | None) -> dict[str, Any] | None:
        item = self._data.get(session_id or "")
        if item is None or item[0] < self._now():
            return None
        return item[1]

    def save(self, data: dict[str, Any], session_id: str | None = None) -> str:
        session_id = session_id or secrets.token_urlsafe(24)
        self._data[session_id] = (self._now() + self._ttl, data)
        self._data.move_to_end(session_id)
        while len(self._data) > self._max:
            self._data.popitem(last=False)
        return session_id

    def drop(self, session_id: str | None) -> None:
        self._data.pop(session_id or "", None)

    def drop_where(self, predicate: Callable[[dict[str, Any]], bool]) -> int:
        """End every session whose data matches (back-channel logout); returns how many."""
        doomed = [key for key, (_, data) in list(self._data.items()) if predicate(data)]
        for key in doomed:
            self._data.pop(key, None)
        return len(doomed)


class SessionMiddleware:
    """Puts a dict at ``scope["session"]``; a session that gained data gets a cookie."""

    def __init__(self, app, *, store: MemorySessions, secure: bool = False) -> None:
        self.app, self.store, self.secure = app, store, secure

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = SimpleCookie()
        for name, value in scope.get("headers", ()):
            if name == b"cookie":
                cookie.load(value.decode("latin-1"))
        session_id = cookie[COOKIE].value if COOKIE in cookie else None
        data = self.store.load(session_id)
        if data is None:
            session_id, data = None, {}
        scope["session"] = data
        path = scope.get("root_path") or "/"

        async def send_with_cookie(message) -> None:
            nonlocal session_id
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if scope["session"]:
                    fresh = session_id is None
                    session_id = self.store.save(scope["session"], session_id)
                    if fresh:
                        flags = "; Secure" if self.secure else ""
                        headers.append((b"set-cookie", f"{COOKIE}={session_id}; Path={path}; HttpOnly; "
                                                       f"SameSite=Lax{flags}".encode("latin-1")))
                elif session_id is not None:
                    self.store.drop(session_id)
                    headers.append((b"set-cookie", f"{COOKIE}=; Path={path}; Max-Age=0".encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
