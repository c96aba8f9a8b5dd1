"""Turn timestamped JPEG frames into liveness observations with a face engine, every frame
detected with a whole-frame scan: the reference observer of the calibration bench and the clip
tests. The service observes live streams with :func:`civicid.face.stream.observe_stream`, which
tracks the face and embeds only the frames that matter; both feed
:func:`civicid.face.liveness.evaluate_liveness`.
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
    embed_offset: int = 0,
) -> tuple[FrameObservation, ...]:
    """Decode, detect and embed each frame; with ``embed_every`` > 1 only the frames whose index
    is ``embed_offset`` modulo ``embed_every`` are embedded.

    Embedding is most of the cost (about 0.19 s per frame for the dlib engine with flip averaging,
    against 0.04 s for detection; docs/liveness.md), so a caller may embed a subset and lower
    ``LivenessPolicy.min_embedded_fraction`` to match. A fixed subset tells an attacker which frames
    escape the identity check: draw ``embed_offset`` at random per session. Decoding errors are
    the engine's typed :class:`~civicid.face.errors.ImageError` subclasses.
    """
    if embed_every < 1 or not 0 <= embed_offset < embed_every:
        raise ValueError("need embed_every >= 1 and 0 <= embed_offset < embed_every")
    observations = []
    for index, frame in enumerate(frames):
        image = decode_image(frame.jpeg, max_bytes=max_bytes, max_pixels=max_pixels)
        faces = engine.detect(image)
        if faces and index % embed_every == embed_offset:
            faces = engine.embed(image, faces)
        observations.append(FrameObservation.from_faces(frame.t_ms, faces))
    return tuple(observations)
