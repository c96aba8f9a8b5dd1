from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Frame:
    """One live frame as the client sent it: capture time (client clock, ms) and JPEG bytes."""

    t_ms: int
    data: bytes = field(repr=False)

    @property
    def jpeg(self) -> bytes:
        """The bytes, under the name :class:`civicid.face.liveness_observe.TimedJpeg` reads."""
        return self.data
