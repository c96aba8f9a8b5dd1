"""The liveness challenge: a random, server-chosen sequence of actions with a nonce and an expiry.

DESIGN.md, Flows, Enrolment: "enrolment session with a random, server-chosen liveness challenge
(e.g. blink, turn left, turn right; nonce, expiry)". The client performs the actions in order while
it streams frames; :func:`civicid.face.liveness.evaluate_liveness` checks them.

Direction convention (docs/liveness.md, "Directions"): actions are named after the person's own
sides. ``turn_left`` means the person turns their head to their own left. In an unmirrored capture
(what the camera sensor records, which is what browsers deliver from ``getUserMedia`` before any CSS
mirroring of the preview) the camera faces the person, so their left is on image-right:
``turn_left`` = nose moves toward image-right = positive yaw in :func:`estimate_yaw`;
``turn_right`` = nose moves toward image-left = negative yaw. Clients must send unmirrored frames,
or declare that they are mirrored.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from civicid.errors import CivicIDError


class Action(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


class UnknownAction(CivicIDError):
    code = "liveness.unknown_action"
    status = 422
    default_message = "The challenge names an action that does not exist (blink, turn_left, turn_right)."


@dataclass(frozen=True, slots=True)
class ChallengePolicy:
    """How challenges are drawn (docs/liveness.md, "Challenges").

    ``actions`` actions, never the same twice in a row; the first prompt ``lead_ms`` after the
    capture starts, each next one ``gap_ms`` later, both drawn uniformly in ``step_ms`` steps;
    the capture lasts ``tail_ms`` past the last prompt. A performed action counts only when it
    starts within ``window_ms`` after its prompt.
    """

    actions: int = 4
    lead_ms: tuple[int, int] = (600, 1400)
    gap_ms: tuple[int, int] = (1400, 2400)
    step_ms: int = 200
    tail_ms: int = 1400
    window_ms: tuple[int, int] = (200, 2000)

    def steps(self, bounds: tuple[int, int]) -> range:
        return range(bounds[0], bounds[1] + 1, self.step_ms)

    @property
    def sequences(self) -> int:
        return len(Action) * (len(Action) - 1) ** (self.actions - 1)

    @property
    def entropy_bits(self) -> float:
        """log2 of the number of distinct challenges (action sequences x prompt schedules)."""
        schedules = len(self.steps(self.lead_ms)) * len(self.steps(self.gap_ms)) ** (self.actions - 1)
        return math.log2(self.sequences * schedules)

    @property
    def max_capture_ms(self) -> int:
        return self.lead_ms[1] + (self.actions - 1) * self.gap_ms[1] + self.tail_ms


@dataclass(frozen=True, slots=True)
class Challenge:
    """Actions to perform in this order; valid from ``issued_at`` until ``expires_at`` (aware UTC).

    ``prompts_ms``: when each action is asked for, in ms from the start of the capture (None: the
    order is checked but not the timing, for a pinned test challenge or an operator's recording).
    ``capture_ms``: how long the client captures.
    """

    actions: tuple[Action, ...]
    nonce: str
    issued_at: datetime
    expires_at: datetime
    prompts_ms: tuple[int, ...] | None = None
    capture_ms: int | None = None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        return {
            "actions": [action.value for action in self.actions],
            "prompts_ms": list(self.prompts_ms) if self.prompts_ms is not None else None,
            "capture_ms": self.capture_ms,
            "nonce": self.nonce,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }

    @property
    def script(self) -> str:
        """The actions and prompt times in a short stored form: ``l1200,b3000`` or ``turn_left,blink``."""
        if self.prompts_ms is None:
            return ",".join(self.actions)
        return ",".join(f"{_SHORT[a]}{t}" for a, t in zip(self.actions, self.prompts_ms))


_SHORT = {Action.BLINK: "b", Action.TURN_LEFT: "l", Action.TURN_RIGHT: "r"}
_LONG = {short: action for action, short in _SHORT.items()}


def parse_script(script: str) -> tuple[tuple[Action, ...], tuple[int, ...] | None]:
    """The inverse of :attr:`Challenge.script`."""
    items = [item.strip() for item in script.split(",") if item.strip()]
    if items and all(item[0] in _LONG and item[1:].isdigit() for item in items):
        return tuple(_LONG[item[0]] for item in items), tuple(int(item[1:]) for item in items)
    return parse_actions(items), None


def new_challenge(
    rng: random.Random,
    *,
    now: datetime,
    ttl_s: float = 120.0,
    policy: ChallengePolicy = ChallengePolicy(),
    pinned: str | None = None,
) -> Challenge:
    """A random challenge drawn as ``policy`` says, with a 128-bit hex nonce; ``pinned`` (a test
    environment's CIVICID_TEST_CHALLENGE, e.g. ``turn_left,turn_right``) fixes the actions and
    leaves the timing unchecked.

    Pass ``secrets.SystemRandom()`` in production; tests pass a seeded ``random.Random``.
    """
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    if policy.actions < 1:
        raise ValueError("a challenge needs at least one action")
    nonce = f"{rng.getrandbits(128):032x}"
    expires_at = now + timedelta(seconds=ttl_s)
    if pinned:
        actions = parse_actions(pinned)
        capture = policy.lead_ms[1] + len(actions) * policy.gap_ms[1]
        return Challenge(actions, nonce, now, expires_at, None, capture)
    drawn: list[Action] = []
    for _ in range(policy.actions):
        drawn.append(rng.choice([action for action in Action if not drawn or action is not drawn[-1]]))
    prompts = [rng.choice(policy.steps(policy.lead_ms))]
    for _ in range(policy.actions - 1):
        prompts.append(prompts[-1] + rng.choice(policy.steps(policy.gap_ms)))
    return Challenge(tuple(drawn), nonce, now, expires_at, tuple(prompts), prompts[-1] + policy.tail_ms)


def parse_actions(values: str | Iterable[str]) -> tuple[Action, ...]:
    """Actions from ``"blink,turn_left"`` or an iterable of names; raises :class:`UnknownAction`."""
    names = values.split(",") if isinstance(values, str) else list(values)
    actions = []
    for name in names:
        name = name.strip().lower()
        if not name:
            continue
        try:
            actions.append(Action(name))
        except ValueError:
            raise UnknownAction(action=name) from None
    if not actions:
        raise UnknownAction("The challenge names no action.")
    return tuple(actions)
