from __future__ import annotations

from civicid.errors import CivicIDError


class NotEnrolled(CivicIDError):
    """Told only to a live face that matched the registry photo of the claimed number (as
    enrolment tells ``already_enrolled``): knowing a number and a name is not enough to learn
    whether its holder has a CivicID."""

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
