from __future__ import annotations

from civicid.errors import CivicIDError
from civicid.enrolment.errors import Locked


class PartnerAuthFailed(CivicIDError):
    code = "partner.unauthorized"
    status = 401
    default_message = "Partner authentication failed."
    headers = {"WWW-Authenticate": 'Basic realm="civicid-partners"'}


class ChallengeInvalid(CivicIDError):
    code = "verification.challenge_invalid"
    status = 410
    default_message = "The challenge is unknown, expired, already used or belongs to another partner."


class PartnerRateLimited(Locked):
    code = "verification.rate_limited"
    default_message = "Too many verification requests. Try again later."
