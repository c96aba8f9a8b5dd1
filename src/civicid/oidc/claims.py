"""Which claims a scope asks for, which need the citizen's explicit tick, and their values.

Scopes (OIDC Core 1.0 §5.4, with CivicID's own scopes):

==============  ==================================  ===========================
scope           claims                              consent
==============  ==================================  ===========================
openid          sub (pairwise), verified            shown, always released
age             age_over_14, age_over_18            shown, always released
name            name                                optional: unticked by default
birthdate       birthdate                           optional: unticked by default
offline_access  (a refresh token, OIDC Core §11)    shown, always granted
==============  ==================================  ===========================

The age claims are computed from the birth date, which itself is not released unless the
citizen ticks ``birthdate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

OPENID = "openid"
OFFLINE_ACCESS = "offline_access"
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    OPENID: ("sub", "verified"),
    "age": ("age_over_14", "age_over_18"),
    "name": ("name",),
    "birthdate": ("birthdate",),
}
SCOPES_SUPPORTED = (OPENID, "age", "name", "birthdate", OFFLINE_ACCESS)
OPTIONAL_CLAIMS = frozenset({"name", "birthdate"})
CLAIMS_SUPPORTED = ("sub", "verified", "age_over_14", "age_over_18", "name", "birthdate")
_PROFILE_CLAIMS = frozenset({"age_over_14", "age_over_18", "name", "birthdate"})

#: What the consent page says about each item.
LABELS: dict[str, str] = {
    "sub": "An identifier for you that only this service gets (it cannot be linked to other services)",
    "verified": "That you are a real person whose identity CivicID has verified",
    "age_over_14": "Whether you are over 14 (not your birth date)",
    "age_over_18": "Whether you are over 18 (not your birth date)",
    "name": "Your full name",
    "birthdate": "Your date of birth",
    OFFLINE_ACCESS: "Stay connected: the service may refresh its access until you revoke it",
}


@dataclass(frozen=True, slots=True)
class ConsentItems:
    """What one authorization request asks the citizen to share, in a stable order."""

    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


def requested_scopes(scope: str | None) -> tuple[str, ...]:
    """The supported scopes in ``scope``, in request order; unknown ones are ignored (OIDC Core
    §3.1.2.1: "Scope values used that are not understood by an implementation SHOULD be
    ignored")."""
    seen: list[str] = []
    for value in (scope or "").split():
        if value in SCOPES_SUPPORTED and value not in seen:
            seen.append(value)
    return tuple(seen)


def claims_for_scope(scope: str | None) -> tuple[str, ...]:
    claims: list[str] = []
    for value in requested_scopes(scope):
        claims.extend(c for c in SCOPE_CLAIMS.get(value, ()) if c not in claims)
    return tuple(claims)


def consent_items(scope: str | None) -> ConsentItems:
    claims = claims_for_scope(scope)
    required = tuple(c for c in claims if c not in OPTIONAL_CLAIMS)
    if OFFLINE_ACCESS in requested_scopes(scope):
        required += (OFFLINE_ACCESS,)
    return ConsentItems(required=required, optional=tuple(c for c in claims if c in OPTIONAL_CLAIMS))


def releasable(granted: Iterable[str], scope: str | None) -> tuple[str, ...]:
    """The claims that ``scope`` asks for and the citizen granted, in scope order."""
    allowed = set(granted)
    return tuple(c for c in claims_for_scope(scope) if c in allowed)


def needs_profile(claims: Iterable[str]) -> bool:
    """Whether releasing ``claims`` needs the citizen's decrypted fields."""
    return not _PROFILE_CLAIMS.isdisjoint(claims)


def age_on(birth: date, today: date) -> int:
    """Completed years. Someone born on 29 February turns a year older on 1 March in common years."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def claim_values(claims: Iterable[str], *, verified: bool, name: str | None, birth_date: date | None,
                 today: date) -> dict[str, object]:
    """Values of the released claims other than ``sub``. ``name`` and ``birth_date`` may be None
    when no released claim needs them."""
    values: dict[str, object] = {}
    for claim in claims:
        if claim == "verified":
            values["verified"] = verified
        elif claim in ("age_over_14", "age_over_18"):
            if birth_date is None:
                raise ValueError(f"{claim} needs the birth date")
            values[claim] = age_on(birth_date, today) >= int(claim.rsplit("_", 1)[1])
        elif claim == "name":
            if name is None:
                raise ValueError("name needs the name")
            values["name"] = name
        elif claim == "birthdate":
            if birth_date is None:
                raise ValueError("birthdate needs the birth date")
            values["birthdate"] = birth_date.isoformat()
    return values
