"""The AttemptLimiter's contract, on both stores: all keys or none, release, retry-after."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from civicid.clock import FixedClock
from civicid.enrolment.errors import Locked
from civicid.enrolment.limits import AttemptLimiter, Limit
from civicid.enrolment.models import Attempt
from civicid.officials.errors import OfficialRateLimited

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def unit(session_factory, clock):
    """Runs ``work(limiter)`` in a committed unit of work, as a request would."""

    def run(work):
        with session_factory() as session, session.begin():
            return work(AttemptLimiter(session, clock, key=b"k" * 32))

    return run


def _count(session_factory, scope: str) -> int:
    with session_factory() as session:
        return session.scalar(sa.select(sa.func.count()).where(Attempt.scope == scope))


def test_a_hit_on_several_keys_counts_on_all_or_on_none(unit, session_factory):
    for _ in range(2):
        unit(lambda limiter: limiter.hit("a", "x", limit=2, window=HOUR))
    with pytest.raises(Locked):
        unit(lambda limiter: limiter.hit_all(Limit("b", "y", 5, HOUR), Limit("a", "x", 2, HOUR)))
    assert (_count(session_factory, "a"), _count(session_factory, "b")) == (2, 0)


def test_a_released_attempt_no_longer_counts(unit, session_factory):
    for _ in range(5):
        unit(lambda limiter: limiter.release(limiter.hit("enrol_id", "x", limit=1, window=DAY)))
    assert _count(session_factory, "enrol_id") == 0


def test_the_window_slides_and_the_retry_after_is_exact(unit, clock):
    unit(lambda limiter: limiter.hit("official_read", "s", limit=2, window=HOUR))
    clock.advance(minutes=20)
    unit(lambda limiter: limiter.hit("official_read", "s", limit=2, window=HOUR))
    with pytest.raises(OfficialRateLimited) as refused:
        unit(lambda limiter: limiter.hit("official_read", "s", limit=2, window=HOUR, error=OfficialRateLimited))
    assert refused.value.detail["retry_after_s"] == 40 * 60 and refused.value.headers["Retry-After"] == "2400"
    clock.advance(minutes=40)  # the first attempt has left the window
    unit(lambda limiter: limiter.hit("official_read", "s", limit=2, window=HOUR))


def test_several_keys_at_their_limit_answer_with_the_longest_wait(unit):
    unit(lambda limiter: limiter.hit_all(Limit("enrol_id", "n", 1, DAY), Limit("enrol_client", "c", 1, HOUR)))
    with pytest.raises(Locked) as refused:
        unit(lambda limiter: limiter.hit_all(Limit("enrol_client", "c", 1, HOUR), Limit("enrol_id", "n", 1, DAY)))
    assert refused.value.detail["retry_after_s"] == 24 * 3600


def test_keys_hold_no_value_in_the_clear(unit, session_factory):
    unit(lambda limiter: limiter.hit("enrol_id", "11010519900307005X", limit=5, window=DAY))
    with session_factory() as session:
        stored = b"".join(key + scope.encode() for scope, key in session.execute(sa.select(Attempt.scope, Attempt.key)))
    assert b"11010519900307005X" not in stored


@pytest.mark.parametrize("bad", [dict(limit=0, window=HOUR), dict(limit=1, window=timedelta(0)),
                                 dict(limit=1, window=HOUR, scope="s" * 33)])
def test_a_limit_must_make_sense(bad):
    with pytest.raises(ValueError):
        Limit(bad.pop("scope", "scope"), "value", **bad)
