from __future__ import annotations

from datetime import datetime, timedelta, timezone

from civicid.oidc.ttl_cache import TtlCache

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def test_an_entry_is_served_until_its_ttl_and_not_after():
    cache: TtlCache[str, object] = TtlCache(ttl=timedelta(seconds=30))
    value = object()
    assert cache.get("current", T0) is None
    cache.put("current", value, T0)
    assert cache.get("current", T0 + timedelta(seconds=29)) is value
    assert cache.get("current", T0 + timedelta(seconds=30)) is None
    assert cache.get("current", T0 + timedelta(seconds=29)) is None  # an expired entry is gone


def test_a_clock_that_went_back_does_not_extend_an_entry():
    cache: TtlCache[str, str] = TtlCache(ttl=timedelta(seconds=30))
    cache.put("current", "kid-1", T0)
    assert cache.get("current", T0 - timedelta(seconds=1)) is None


def test_keys_are_independent_and_a_put_replaces_the_value():
    cache: TtlCache[str, str] = TtlCache(ttl=timedelta(seconds=30))
    cache.put("a", "1", T0)
    cache.put("b", "2", T0 + timedelta(seconds=20))
    cache.put("a", "3", T0 + timedelta(seconds=20))
    later = T0 + timedelta(seconds=45)
    assert (cache.get("a", later), cache.get("b", later)) == ("3", "2")


def test_the_oldest_entries_make_room_beyond_max_entries():
    cache: TtlCache[int, int] = TtlCache(ttl=timedelta(seconds=30), max_entries=3)
    for key in range(5):
        cache.put(key, key, T0)
    assert [cache.get(key, T0) for key in range(5)] == [None, None, 2, 3, 4]
