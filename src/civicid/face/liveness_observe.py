"""Turn timestamped JPEG frames into liveness observations with a face engine.

The one place where frames from the HTTP API or from :func:`civicid.face.video.sample_frames`
meet the engine; :func:`civicid.face.liveness.evaluate_liveness` then decides on the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from civicid.face.decode import decode_image
from civicid.face.interfaces import FaceEngine
from civicid.face.liveness_types import FrameObservation


class TimedJpeg(Protocol):
    """A frame as the client sends it: capture time in ms and the JPEG bytes."""

    @property
    def t_ms(self) -> int: ...

    @property
    def jpeg(self) -> bytes: ...


def observe_frames(
    frames: Iterable[TimedJpeg],
    *,
    engine: FaceEngine,
    max_bytes: int,
    max_pixels: int,
    embed_every: int = 1,
) -> tuple[FrameObservation, ...]:
    """Decode, detect and (every ``embed_every``-th frame) embed each frame.

    Embedding is most of the cost (about 0.17 s per frame for the dlib engine with flip
    averaging, against 0.02 s for detection; docs/liveness.md), so a caller may embed a subset
    and lower ``LivenessPolicy.min_embedded_fraction`` to match. Decoding errors are the engine's
    typed :class:`~civicid.face.errors.ImageError`\\ s.
    """
    if embed_every < 1:
        raise ValueError("embed_every must be at least 1")
    observations = []
    for index, frame in enumerate(frames):
        image = decode_image(frame.jpeg, max_bytes=max_bytes, max_pixels=max_pixels)
        faces = engine.detect(image)
        if faces and index % embed_every == 0:
            faces = engine.embed(image, faces)
        observations.append(FrameObservation.from_faces(frame.t_ms, faces))
    return tuple(observations)
