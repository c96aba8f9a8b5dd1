"""Request bodies: how large each kind of route takes, and which routes see credentials first.

Two classes of route. The frame uploads take ``enrolment_max_total_bytes`` of frames plus the
multipart overhead (``web.uploads``); every other route at most ``max_body_bytes`` (64 KiB by
default: the largest JSON a client sends, a WebAuthn response, is a few KiB). The limit holds
for the declared ``Content-Length`` (refused before anything is read) and for the bytes
actually streamed (refused as soon as they pass it, also without a declared length).

Routes that authenticate with a header see the header checked before their body is read: a
request without credentials of the right scheme is answered 401 at once. (FastAPI reads a
route's body before it solves the route's dependencies, authentication among them.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

from civicid.errors import CivicIDError
from civicid.officials.errors import StaffAuthFailed
from civicid.partners.errors import PartnerAuthFailed

#: (method, path) of the routes that take frames as multipart/form-data
UPLOAD_ROUTES = (("POST", "/api/v1/enrolments/{session_id}/frames"), ("POST", "/api/v1/recovery/{session_id}/frames"),
                 ("POST", "/api/v1/verifications"))

#: path prefix, the Authorization scheme its routes take, and their error without it
CREDENTIALS_FIRST: tuple[tuple[str, bytes, type[CivicIDError]], ...] = (
    ("/api/v1/staff", b"bearer", StaffAuthFailed),
    ("/api/v1/verifications", b"basic", PartnerAuthFailed),
)


def too_large_message(limit: int) -> str:
    return f"The request body may be at most {limit} bytes."


@dataclass(frozen=True)
class BodyLimits:
    default: int
    upload: int
    _uploads: tuple[tuple[str, re.Pattern], ...]

    @classmethod
    def for_app(cls, app, *, default: int, upload: int) -> "BodyLimits":
        """Fails if an upload route is not in ``app`` (renamed, say): a route this table names
        wrongly would silently get the small limit."""
        present = {(method, route.path_format) for route in iter_route_contexts(app.routes)
                   for method in (route.methods or ())}
        missing = [route for route in UPLOAD_ROUTES if route not in present]
        if missing:
            raise RuntimeError(f"upload routes missing from the app: {missing}")
        return cls(default, upload, tuple((method, compile_path(path)[0]) for method, path in UPLOAD_ROUTES))

    def limit_for(self, method: str, path: str) -> int:
        for upload_method, pattern in self._uploads:
            if method == upload_method and pattern.match(path):
                return self.upload
        return self.default


def missing_credentials(path: str, authorization: bytes | None) -> CivicIDError | None:
    for prefix, scheme, error in CREDENTIALS_FIRST:
        if path == prefix or path.startswith(prefix + "/"):
            given = (authorization or b"").split(b" ", 1)[0].lower()
            return None if given == scheme else error()
    return None
