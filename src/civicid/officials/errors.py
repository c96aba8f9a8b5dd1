from __future__ import annotations

from civicid.enrolment.errors import Locked
from civicid.errors import CivicIDError


class StaffAuthFailed(CivicIDError):
    code = "staff.unauthorized"
    status = 401
    default_message = "Staff authentication failed."
    headers = {"WWW-Authenticate": "Bearer"}


class RoleRequired(CivicIDError):
    code = "staff.forbidden"
    status = 403
    default_message = "Your role does not allow this."


class JustificationRequired(CivicIDError):
    code = "official.justification_required"
    status = 422
    default_message = "A written justification and a case reference in the required format are required."


class OfficialRateLimited(Locked):
    code = "official.rate_limited"
    default_message = "You have reached the hourly limit of citizen record reads. An alert was logged."
