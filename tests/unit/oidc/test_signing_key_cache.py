from __future__ import annotations

from datetime import datetime, timedelta, timezone

from joserfc.jwk import ECKey

from civicid.oidc.signing_keys import ActiveKey, CurrentKeyCache

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def test_the_cached_key_is_served_until_its_ttl_and_not_after():
    cache = CurrentKeyCache(ttl=timedelta(seconds=30))
    key = ActiveKey("kid-1", ECKey.generate_key("P-256"))
    assert cache.get(T0) is None
    cache.put(key, T0)
    assert cache.get(T0 + timedelta(seconds=29)) is key
    assert cache.get(T0 + timedelta(seconds=30)) is None


def test_a_clock_that_went_back_does_not_extend_the_cache():
    cache = CurrentKeyCache(ttl=timedelta(seconds=30))
    cache.put(ActiveKey("kid-1", ECKey.generate_key("P-256")), T0)
    assert cache.get(T0 - timedelta(seconds=1)) is None
