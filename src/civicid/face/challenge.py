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
class Challenge:
    """Actions to perform in this order; valid from ``issued_at`` until ``expires_at`` (aware UTC)."""

    actions: tuple[Action, ...]
    nonce: str
    issued_at: datetime
    expires_at: datetime

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        return {
            "actions": [action.value for action in self.actions],
            "nonce": self.nonce,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }


def new_challenge(
    rng: random.Random,
    *,
    now: datetime,
    ttl_s: float = 120.0,
    min_actions: int = 2,
    max_actions: int = 3,
) -> Challenge:
    """A random challenge of ``min_actions``..``max_actions`` actions, never the same action twice in
    a row (``turn_left`` then ``turn_right`` is allowed), and a 128-bit hex nonce.

    Pass ``secrets.SystemRandom()`` in production; tests pass a seeded ``random.Random``.
    """
    if not 1 <= min_actions <= max_actions:
        raise ValueError("need 1 <= min_actions <= max_actions")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    count = rng.randint(min_actions, max_actions)
    actions: list[Action] = []
    for _ in range(count):
        choices = [action for action in Action if not actions or action is not actions[-1]]
        actions.append(rng.choice(choices))
    nonce = f"{rng.getrandbits(128):032x}"
    return Challenge(
        actions=tuple(actions),
        nonce=nonce,
        issued_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )


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
