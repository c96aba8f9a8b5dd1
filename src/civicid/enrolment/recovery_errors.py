from __future__ import annotations

from civicid.errors import CivicIDError


class NotEnrolled(CivicIDError):
    """Told only after the ID number and name matched the registry (as enrolment tells
    ``already_enrolled``), so it reveals nothing to someone who does not know both."""

    code = "recovery.not_enrolled"
    status = 404
    default_message = "This ID number has no CivicID yet. Enrol instead."


class RecoveryNotFound(CivicIDError):
    code = "recovery.session_not_found"
    status = 404
    default_message = "This recovery session does not exist or was already used; start again."


class RecoveryExpired(CivicIDError):
    code = "recovery.session_expired"
    status = 410
    default_message = "This recovery session has expired; start again."
