"""The root of CivicID's typed errors.

Every error that can reach a user carries a stable wire ``code`` (``domain.reason``), an HTTP
status and a human message. Domains subclass :class:`CivicIDError` in their own ``errors.py``;
library exceptions are translated into these at the boundary where they occur.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CivicIDError(Exception):
    code: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Something went wrong."

    def __init__(self, message: str | None = None, **detail: Any) -> None:
        self.message = message or self.default_message
        self.detail = detail
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return {"error": body}


class InvalidInput(CivicIDError):
    code = "request.invalid"
    status = 422
    default_message = "The request is not valid."


class NotFound(CivicIDError):
    code = "request.not_found"
    status = 404
    default_message = "Not found."
