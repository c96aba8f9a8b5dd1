from __future__ import annotations

from civicid.enrolment.errors import Locked
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


class DemoRegistryOff(CivicIDError):
    """The demo registry's own operations (add, list, remove, the try-it page) outside demo mode,
    or while a real registry is configured (CIVICID_REGISTRY_URL): that registry is not ours."""

    code = "registry.demo_only"
    status = 409
    default_message = ("This works on the demo registry only: set CIVICID_DEMO=true and leave "
                       "CIVICID_REGISTRY_URL unset.")


class RegistryPersonNotFound(CivicIDError):
    code = "registry.not_found"
    status = 404
    default_message = "The demo registry has no person with this ID number."


class BirthDateMismatch(CivicIDError):
    """The birth date given does not agree with the one GB 11643-1999 §5.3 encodes in the number
    (characters 7-14). Neither date is repeated in the error (personal data)."""

    code = "registry.birth_date_mismatch"
    status = 422
    default_message = "The birth date does not match the one in the ID number (its characters 7 to 14)."


class PhotoUnusable(CivicIDError):
    """A registry photo whose one face fails the probe quality checks: enrolling against it would fail."""

    code = "registry.photo_quality"
    status = 422
    default_message = "The face in the photo is too small, blurred, badly lit or turned away."


class DemoPeopleLimit(Locked):
    """One client created (or tried to create) too many demo registry people (the try-it page)."""

    code = "registry.demo_people_limit"
    default_message = "Too many demo registry people from this address; try again later."
