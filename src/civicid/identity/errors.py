from __future__ import annotations

from civicid.errors import CivicIDError


class CitizenNotFound(CivicIDError):
    code = "citizen.not_found"
    status = 404
    default_message = "No such citizen."
