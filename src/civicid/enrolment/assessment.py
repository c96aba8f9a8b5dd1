"""Is this a live person, and are they the person in the reference photo? (1:1 only)

One pipeline for enrolment, recovery and the partner verification API: decode every frame within
limits, locate exactly one face per frame, check the challenge was performed (liveness), then match
the best frames against the registry photo at the calibrated threshold. Frames and the photo are
only ever in memory.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from civicid.enrolment.frames import Frame
from civicid.errors import CivicIDError
from civicid.face.challenge import Action
from civicid.face.compare import compare
from civicid.face.decode import decode_image
from civicid.face.interfaces import FaceEngine
from civicid.face.liveness import evaluate_liveness
from civicid.face.liveness_types import FrameObservation, LivenessPolicy
from civicid.face.models import Face
from civicid.face.probe import primary_face

Outcome = Literal["match", "no_match", "liveness_failed", "quality_failed"]
BEST_FRAMES = 3


@dataclass(frozen=True, slots=True, eq=False)
class Assessment:
    outcome: Outcome
    reasons: tuple[str, ...]
    threshold: float
    distance: float | None = None
    template: np.ndarray | None = field(default=None, repr=False)
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LiveCheck:
    engine: FaceEngine
    threshold: float
    liveness: LivenessPolicy
    max_bytes: int
    max_pixels: int

    @classmethod
    def from_settings(cls, engine: FaceEngine, settings) -> "LiveCheck":
        return cls(engine=engine, threshold=settings.face_threshold, liveness=LivenessPolicy(), max_bytes=settings.image_max_bytes,
                   max_pixels=settings.image_max_pixels)

    def assess(self, frames: Sequence[Frame], *, actions: Sequence[Action], reference: bytes) -> Assessment:
        timings: dict[str, float] = {}
        clock = _StageClock(timings)

        with clock("decode"):
            images, reasons = [], []
            for index, frame in enumerate(frames):
                try:
                    images.append(decode_image(frame.data, max_bytes=self.max_bytes, max_pixels=self.max_pixels))
                except CivicIDError as exc:
                    images.append(None)
                    reasons.append(f"quality.frame_{index}:{exc.code}")
        if reasons:
            return Assessment("quality_failed", tuple(reasons), self.threshold, timings_ms=timings)

        with clock("detect"):
            faces_per_frame = [self.engine.detect(image) for image in images]

        with clock("embed"):
            # Only the largest face of a frame is embedded; the others still count as extra faces.
            followed = [_with_largest_embedded(self.engine, image, faces) for image, faces in zip(images, faces_per_frame)]

        with clock("liveness"):
            observations = [FrameObservation.from_faces(frame.t_ms, faces) for frame, faces in zip(frames, followed)]
            liveness = evaluate_liveness(observations, challenge_actions=tuple(actions), policy=self.liveness)
        if not liveness.passed:
            return Assessment("liveness_failed", liveness.reasons, self.threshold, timings_ms=timings)

        with clock("match"):
            best = _best_frames(followed, liveness.best_frame, frontal_deg=self.liveness.frontal_max_abs_yaw_deg)
            if not best:
                return Assessment("quality_failed", ("quality.no_acceptable_frame",), self.threshold,
                                  timings_ms=timings)
            probe = _mean_embedding(best)
            try:
                reference_face = self._reference_face(reference)
            except CivicIDError as exc:  # the registry's photo, not the citizen's frames
                return Assessment("quality_failed", (f"registry.photo_unusable:{exc.code}",), self.threshold,
                                  timings_ms=timings)
            comparison = compare(probe, reference_face.embedding, threshold=self.threshold)
        outcome: Outcome = "match" if comparison.match else "no_match"
        reasons = () if comparison.match else ("match.distance_above_threshold",)
        return Assessment(outcome, reasons, self.threshold, distance=comparison.distance,
                          template=probe, timings_ms=timings)

    def _reference_face(self, photo: bytes) -> Face:
        image = decode_image(photo, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        face = primary_face(self.engine.detect(image), image)
        return self.engine.embed(image, [face])[0]


def _with_largest_embedded(engine: FaceEngine, image, faces: Sequence[Face]) -> tuple[Face, ...]:
    if not faces:
        return ()
    ordered = sorted(faces, key=lambda face: face.box.width * face.box.height, reverse=True)
    return (engine.embed(image, [ordered[0]])[0], *ordered[1:])


IMAGE_FLAGS = frozenset({"face_too_small", "blurry", "underexposed", "overexposed"})


def _best_frames(followed: Sequence[tuple[Face, ...]], best_frame: int | None, *, frontal_deg: float) -> list[Face]:
    """Liveness's best frame (frontal, sharp, eyes open), then the sharpest other near-frontal
    frames without image-quality flags, up to BEST_FRAMES."""
    if best_frame is None or not followed[best_frame]:
        return []
    chosen = [followed[best_frame][0]]
    others = [faces[0] for i, faces in enumerate(followed) if faces and i != best_frame
              and abs(faces[0].quality.yaw_deg) <= frontal_deg and not IMAGE_FLAGS & set(faces[0].quality.flags)]
    others.sort(key=lambda face: -face.quality.sharpness)
    return chosen + others[: BEST_FRAMES - 1]


def _mean_embedding(faces: list[Face]) -> np.ndarray:
    return np.mean(np.stack([face.embedding for face in faces]), axis=0).astype(np.float32)


class _StageClock:
    def __init__(self, timings: dict[str, float]) -> None:
        self._timings = timings

    def __call__(self, stage: str) -> "_StageClock":
        self._stage = stage
        return self

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc) -> None:
        self._timings[self._stage] = (time.perf_counter() - self._start) * 1000
