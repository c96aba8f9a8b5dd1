from __future__ import annotations

from civicid.errors import CivicIDError


class NotFoundOrMismatch(CivicIDError):
    """Deliberately the same for an unknown number and a wrong name (no enumeration)."""

    code = "enrolment.not_found_or_mismatch"
    status = 404
    default_message = "No active registry record matches this ID number and name."


class AlreadyEnrolled(CivicIDError):
    """Told only to a live face that matched the number's registry photo (never at the start)."""

    code = "enrolment.already_enrolled"
    status = 409
    default_message = "This ID number already has a CivicID. Use account recovery instead."


class SessionNotFound(CivicIDError):
    code = "enrolment.session_not_found"
    status = 404
    default_message = "This enrolment session does not exist."


class SessionExpired(CivicIDError):
    code = "enrolment.session_expired"
    status = 410
    default_message = "This enrolment session has expired or was already used; start again."


class Locked(CivicIDError):
    code = "enrolment.locked"
    status = 429
    default_message = "Too many failed attempts. Try again later."

    def __init__(self, retry_after_s: int, message: str | None = None) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.headers = {"Retry-After": str(retry_after_s)}


class FramesInvalid(CivicIDError):
    code = "enrolment.frames_invalid"
    status = 422
    default_message = "The frames do not meet the upload limits."


class FrameTooLarge(FramesInvalid):
    code = "enrolment.frame_too_large"
    status = 413
    default_message = "A frame has more pixels than a camera frame may have."
