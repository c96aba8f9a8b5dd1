from __future__ import annotations

from civicid.errors import CivicIDError


class CitizenNotFound(CivicIDError):
    code = "citizen.not_found"
    status = 404
    default_message = "No such citizen."


class SessionNotFound(CivicIDError):
    """No unexpired sign-in session of the citizen has this id (another's looks the same)."""

    code = "account.session_not_found"
    status = 404
    default_message = "This session has already ended. Reload the page to see your sessions."
