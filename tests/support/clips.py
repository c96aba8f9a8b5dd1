"""Frames from the shared video clips, as a client would send them (JPEG + capture time)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from civicid.enrolment.frames import Frame
from civicid.face.video import sample_frames


@cache
def clip_frames(path: Path, start_s: float, end_s: float, fps: float = 15.0) -> tuple[Frame, ...]:
    return tuple(Frame(f.t_ms, f.jpeg) for f in sample_frames(path, fps=fps, start_s=start_s, end_s=end_s))


def still(path: Path, at_s: float) -> bytes:
    """One frame of a clip as JPEG: a registry photo taken from another part of the clip."""
    return clip_frames(path, at_s, at_s + 0.2)[0].data


@cache
def tiny_jpeg() -> bytes:
    """A valid 8x8 JPEG: a frame whose contents never matter (the request ends before face work)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG")
    return buffer.getvalue()
