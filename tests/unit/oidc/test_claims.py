from __future__ import annotations

from datetime import date

import pytest

from civicid.oidc.claims import (age_on, claim_values, claims_for_scope, consent_items, needs_profile, releasable,
                                 requested_scopes)


@pytest.mark.parametrize(("birth", "today", "age"), [
    (date(2008, 11, 1), date(2026, 11, 1), 18),   # the birthday itself counts
    (date(2008, 11, 2), date(2026, 11, 1), 17),
    (date(2008, 2, 29), date(2026, 2, 28), 17),   # leap-day birthdays turn over on 1 March
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2008, 2, 29), date(2028, 2, 29), 20),
    (date(2012, 12, 31), date(2026, 12, 31), 14),
])
def test_age_on(birth, today, age):
    assert age_on(birth, today) == age


def test_age_claims_do_not_reveal_the_birth_date():
    values = claim_values(["verified", "age_over_14", "age_over_18"], verified=True, name=None,
                          birth_date=date(2010, 6, 1), today=date(2026, 11, 1))
    assert values == {"verified": True, "age_over_14": True, "age_over_18": False}


def test_name_and_birthdate_values():
    values = claim_values(["name", "birthdate"], verified=True, name="Zhang Wei", birth_date=date(1949, 12, 31),
                          today=date(2026, 11, 1))
    assert values == {"name": "Zhang Wei", "birthdate": "1949-12-31"}


def test_claims_needing_missing_fields_fail_loudly():
    with pytest.raises(ValueError):
        claim_values(["age_over_18"], verified=True, name=None, birth_date=None, today=date(2026, 1, 1))


def test_scopes_map_to_claims_and_unknown_scopes_are_ignored():
    assert requested_scopes("openid profile age openid email") == ("openid", "age")
    assert claims_for_scope("openid age name birthdate") == ("sub", "verified", "age_over_14", "age_over_18",
                                                              "name", "birthdate")


def test_name_and_birthdate_are_optional_consent_items():
    items = consent_items("openid age name birthdate offline_access")
    assert items.required == ("sub", "verified", "age_over_14", "age_over_18", "offline_access")
    assert items.optional == ("name", "birthdate")


def test_releasable_is_the_intersection_in_scope_order():
    assert releasable({"birthdate", "sub", "verified", "offline_access"}, "openid name birthdate") == (
        "sub", "verified", "birthdate")


def test_needs_profile():
    assert not needs_profile(["sub", "verified"])
    assert needs_profile(["sub", "age_over_18"])
