from __future__ import annotations

import json
import random
import secrets
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from civicid.face.challenge import (Action, Challenge, ChallengePolicy, UnknownAction, new_challenge, parse_actions,
                                    parse_script)

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "liveness" / "challenges.json").read_text())
NOW = datetime.fromisoformat(VECTORS["now"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: f"seed{case['seed']}")
def test_seeded_challenges_are_reproducible(case: dict) -> None:
    challenge = new_challenge(random.Random(case["seed"]), now=NOW)
    assert [a.value for a in challenge.actions] == case["actions"]
    assert list(challenge.prompts_ms) == case["prompts_ms"]
    assert challenge.capture_ms == case["capture_ms"]
    assert challenge.nonce == case["nonce"]


def test_expiry_is_now_plus_ttl() -> None:
    challenge = new_challenge(random.Random(0), now=NOW, ttl_s=90)
    assert challenge.issued_at == NOW
    assert challenge.expires_at == NOW + timedelta(seconds=90)
    assert not challenge.is_expired(NOW + timedelta(seconds=89))
    assert challenge.is_expired(NOW + timedelta(seconds=90))


def test_default_ttl_is_120_seconds() -> None:
    challenge = new_challenge(random.Random(0), now=NOW)
    assert challenge.expires_at - challenge.issued_at == timedelta(seconds=120)


def test_no_action_follows_itself_and_prompts_keep_the_policy() -> None:
    rng = random.Random(5)
    policy = ChallengePolicy()
    seen = Counter()
    for _ in range(400):
        challenge = new_challenge(rng, now=NOW)
        assert len(challenge.actions) == 4
        assert all(a is not b for a, b in zip(challenge.actions, challenge.actions[1:]))
        prompts = challenge.prompts_ms
        assert 600 <= prompts[0] <= 1400 and prompts[0] % 200 == 0
        assert all(1400 <= b - a <= 2400 and (b - a) % 200 == 0 for a, b in zip(prompts, prompts[1:]))
        assert challenge.capture_ms == prompts[-1] + 1400 <= policy.max_capture_ms == 10_000
        seen.update(challenge.actions)
    assert set(seen) == set(Action)


def test_the_challenge_space_has_more_than_ten_bits() -> None:
    # 3 * 2**3 action sequences x 5 first-prompt times x 6**3 gaps = 25,920 challenges.
    assert ChallengePolicy().sequences == 24
    assert ChallengePolicy().entropy_bits == pytest.approx(14.662, abs=1e-3)


@pytest.mark.parametrize("pinned", ["turn_left,turn_right", "blink"])
def test_a_pinned_challenge_fixes_the_actions_and_drops_the_timing(pinned: str) -> None:
    challenge = new_challenge(random.Random(0), now=NOW, pinned=pinned)
    assert ",".join(challenge.actions) == pinned
    assert challenge.prompts_ms is None
    assert parse_script(challenge.script) == (challenge.actions, None)


def test_the_stored_script_round_trips() -> None:
    challenge = new_challenge(random.Random(3), now=NOW)
    assert parse_script(challenge.script) == (challenge.actions, challenge.prompts_ms)
    assert len(challenge.script) <= 64  # the sessions' column
    assert parse_script("l1200,b3000") == ((Action.TURN_LEFT, Action.BLINK), (1200, 3000))


def test_the_test_challenge_is_refused_outside_the_test_environment() -> None:
    from civicid.settings import Settings

    assert Settings(environment="test", test_challenge="blink").test_challenge == "blink"
    for environment in ("development", "production"):
        with pytest.raises(ValueError, match="CIVICID_TEST_CHALLENGE"):
            Settings(environment=environment, test_challenge="blink", session_secret="x" * 40,
                     database_url="sqlite://")


@pytest.mark.parametrize("kwargs", [{"policy": ChallengePolicy(actions=0)}, {"ttl_s": 0}])
def test_impossible_bounds_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        new_challenge(random.Random(0), now=NOW, **kwargs)


def test_system_random_gives_fresh_128_bit_nonces() -> None:
    rng = secrets.SystemRandom()
    nonces = {new_challenge(rng, now=NOW).nonce for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(nonce) == 32 and int(nonce, 16) >= 0 for nonce in nonces)


def test_challenge_is_frozen_and_serialises() -> None:
    challenge = new_challenge(random.Random(1), now=NOW)
    with pytest.raises(AttributeError):
        challenge.nonce = "x"  # type: ignore[misc]
    body = challenge.to_json()
    case = VECTORS["cases"][0]
    assert body == {
        "actions": case["actions"],
        "prompts_ms": case["prompts_ms"],
        "capture_ms": case["capture_ms"],
        "nonce": case["nonce"],
        "issued_at": "2025-01-02T03:04:05+00:00",
        "expires_at": "2025-01-02T03:06:05+00:00",
    }
    assert isinstance(challenge, Challenge)


def test_parse_actions_accepts_text_and_lists() -> None:
    assert parse_actions("blink, TURN_LEFT,turn_right") == (Action.BLINK, Action.TURN_LEFT, Action.TURN_RIGHT)
    assert parse_actions(["turn_left", "blink"]) == (Action.TURN_LEFT, Action.BLINK)


@pytest.mark.parametrize("text", ["blink,nod", "", " , "])
def test_parse_actions_refuses_unknown_or_empty(text: str) -> None:
    with pytest.raises(UnknownAction) as info:
        parse_actions(text)
    assert info.value.code == "liveness.unknown_action"
    assert info.value.status == 422


def test_now_must_be_given_so_time_is_injected() -> None:
    with pytest.raises(TypeError):
        new_challenge(random.Random(0))  # type: ignore[call-arg]
    assert NOW.tzinfo is timezone.utc or NOW.utcoffset() == timedelta(0)
