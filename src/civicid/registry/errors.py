from __future__ import annotations

from civicid.errors import CivicIDError


class RegistryUnavailable(CivicIDError):
    code = "registry.unavailable"
    status = 503
    default_message = "The population registry cannot be reached right now; please try again later."


class RegistryBadResponse(RegistryUnavailable):
    code = "registry.bad_response"
    default_message = "The population registry gave an answer CivicID cannot use."


class RegistryDuplicate(CivicIDError):
    code = "registry.duplicate"
    status = 409
    default_message = "The registry already has a person with this ID number."
