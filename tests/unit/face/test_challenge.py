from __future__ import annotations

import json
import random
import secrets
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from civicid.face.challenge import Action, Challenge, UnknownAction, new_challenge, parse_actions

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "liveness" / "challenges.json").read_text())
NOW = datetime.fromisoformat(VECTORS["now"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: f"seed{case['seed']}")
def test_seeded_challenges_are_reproducible(case: dict) -> None:
    challenge = new_challenge(random.Random(case["seed"]), now=NOW)
    assert [action.value for action in challenge.actions] == case["actions"]
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


def test_no_action_follows_itself_and_every_length_and_action_occurs() -> None:
    rng = random.Random(2024)
    lengths: Counter[int] = Counter()
    actions: Counter[Action] = Counter()
    pairs: Counter[tuple[Action, Action]] = Counter()
    for _ in range(2000):
        challenge = new_challenge(rng, now=NOW)
        lengths[len(challenge.actions)] += 1
        actions.update(challenge.actions)
        pairs.update(zip(challenge.actions, challenge.actions[1:]))
    assert set(lengths) == {2, 3}
    assert set(actions) == set(Action)
    assert all(a is not b for a, b in pairs)
    assert pairs[(Action.TURN_LEFT, Action.TURN_RIGHT)] > 0
    assert pairs[(Action.TURN_RIGHT, Action.TURN_LEFT)] > 0


def test_bounds_are_respected() -> None:
    rng = random.Random(5)
    assert {len(new_challenge(rng, now=NOW, min_actions=1, max_actions=1).actions) for _ in range(50)} == {1}
    assert {len(new_challenge(rng, now=NOW, min_actions=4, max_actions=4).actions) for _ in range(50)} == {4}


@pytest.mark.parametrize("kwargs", [{"min_actions": 0}, {"min_actions": 3, "max_actions": 2}, {"ttl_s": 0}])
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
    assert body == {
        "actions": ["turn_right", "blink"],
        "nonce": "c2ce6f447ed4d57b1e2feb89414c343c",
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
