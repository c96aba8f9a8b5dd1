from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Frame:
    """One live frame as the client sent it: capture time (client clock, ms) and JPEG bytes."""

    t_ms: int
    data: bytes = field(repr=False)
