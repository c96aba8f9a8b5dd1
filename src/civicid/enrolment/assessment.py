"""Is this a live person, and are they the person in the reference photo? (1:1 only)

One pipeline for enrolment, recovery and the partner verification API: decode every frame within
limits, locate exactly one face per frame, check the challenge was performed (liveness), then match
the best frames against the registry photo at the calibrated threshold. Frames and the photo are
only ever in memory.
"""

from __future__ import annotations

import random
import secrets
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
from civicid.face.errors import ImageError
from civicid.face.interfaces import FaceEngine
from civicid.face.liveness import evaluate_liveness
from civicid.face.liveness_types import LivenessPolicy
from civicid.face.models import Face
from civicid.face.pad import PadPolicy, PresentationAttackDetector
from civicid.face.pad import decide as pad_decide
from civicid.face.pool import LocatorPool
from civicid.face.probe import primary_face
from civicid.face.stream import StreamPolicy, observe_stream

Outcome = Literal["match", "no_match", "liveness_failed", "quality_failed"]


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
    """The decision over a live stream. ``max_pixels`` bounds each live frame (a camera frame:
    a few megapixels at most) and ``photo_max_pixels`` the registry's photo; frames are decoded one
    at a time, so a request never holds more than one decoded frame (DESIGN.md principle 7)."""

    engine: FaceEngine
    threshold: float
    liveness: LivenessPolicy
    max_bytes: int
    max_pixels: int
    photo_max_pixels: int
    pad: PresentationAttackDetector | None = None
    pad_policy: PadPolicy = PadPolicy()
    stream: StreamPolicy = StreamPolicy()
    rng: random.Random = field(default_factory=secrets.SystemRandom)
    pool: LocatorPool | None = None

    @classmethod
    def from_settings(cls, engine: FaceEngine, settings, *, pad: PresentationAttackDetector | None,
                      rng: random.Random | None = None, pool: LocatorPool | None = None) -> "LiveCheck":
        threshold = settings.face_threshold or engine.threshold
        return cls(engine=engine, threshold=threshold, liveness=liveness_policy(threshold),
                   max_bytes=settings.image_max_bytes, max_pixels=settings.live_frame_max_pixels,
                   photo_max_pixels=settings.image_max_pixels, pad=pad, rng=rng or secrets.SystemRandom(), pool=pool)

    def assess(self, frames: Sequence[Frame], *, actions: Sequence[Action], reference: bytes,
               prompts_ms: Sequence[int] | None = None) -> Assessment:
        started = time.perf_counter()
        try:
            seen = observe_stream(frames, engine=self.engine, max_bytes=self.max_bytes, max_pixels=self.max_pixels,
                                  rng=self.rng, pad=self.pad, policy=self.stream, pool=self.pool)
        except ImageError as exc:
            return Assessment("quality_failed", (f"quality.frame:{exc.code}",), self.threshold,
                              timings_ms={"stream": (time.perf_counter() - started) * 1e3})
        timings = dict(seen.timings_ms)
        clock = _StageClock(timings)
        with clock("liveness"):
            liveness = evaluate_liveness(seen.observations, challenge_actions=tuple(actions), policy=self.liveness,
                                         prompts_ms=prompts_ms)
            reasons = list(liveness.reasons)
            if self.pad is not None:
                verdict = pad_decide(seen.pad_scores, policy=self.pad_policy)
                if not verdict.passed:
                    reasons.insert(0, verdict.reason)
        if reasons:
            return Assessment("liveness_failed", tuple(reasons), self.threshold, timings_ms=timings)

        with clock("match"):
            if not seen.best_embeddings:
                return Assessment("quality_failed", ("quality.no_acceptable_frame",), self.threshold,
                                  timings_ms=timings)
            probe = fused(seen.best_embeddings)
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
        image = decode_image(photo, max_bytes=self.max_bytes, max_pixels=self.photo_max_pixels)
        face = primary_face(self.engine.detect(image), image)
        return self.engine.embed(image, [face])[0]


IDENTITY_FRONTAL_RATIO = 1.0
IDENTITY_TURNED_RATIO = 1.35


def liveness_policy(threshold: float) -> LivenessPolicy:
    """The liveness policy for an engine whose match threshold is ``threshold``: frontal frames of
    one stream must lie within the match threshold of their medoid, turned ones within 1.35 times
    it (calibrated on the clips, docs/liveness.md); a random subset of frames is embedded."""
    return LivenessPolicy(max_identity_distance=round(threshold * IDENTITY_FRONTAL_RATIO, 4),
                          max_identity_distance_turned=round(threshold * IDENTITY_TURNED_RATIO, 4),
                          min_embedded_fraction=0.0, min_embedded_frames=3)


def fused(embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """The mean of several frames' embeddings, renormalised when the engine's are unit length."""
    stacked = np.stack([np.asarray(e, dtype=np.float32) for e in embeddings])
    mean = stacked.mean(axis=0)
    norms = np.linalg.norm(stacked, axis=1)
    if np.allclose(norms, 1.0, atol=1e-3):
        mean = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return mean.astype(np.float32)


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
