"""Observing a live stream of 100-150 frames within a couple of CPU seconds.

Pass 1, every frame, one at a time (only one decoded frame is in memory): decode, locate the face
near where it was in the previous frame (a small region at a fixed face size, with a whole-frame
scan every ``full_scan_every`` frames and whenever the face is lost, so a second face is still
seen), 68 landmarks for blinks, turns and quality. Pass 2, only the frames that matter, decoded
again: the sharpest open-eyed frontal frames (the 1:1 match) and a random subset of the others
(the identity check across the stream: an attacker cannot know which frames are compared) are
embedded, and the near-frontal ones among them are scored for presentation attacks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from civicid.face.decode import decode_image
from civicid.face.interfaces import FaceEngine, TrackingFaceEngine
from civicid.face.liveness_observe import TimedJpeg
from civicid.face.liveness_types import FrameObservation
from civicid.face.models import Face
from civicid.face.pad import PresentationAttackDetector
from civicid.face.pool import LocatorPool

IMAGE_FLAGS = frozenset({"face_too_small", "blurry", "underexposed", "overexposed"})


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    """``best_frames``: frontal frames fused for the match; ``random_frames``: others embedded for
    the identity check; ``pad_frames``: near-frontal frames (|yaw| <= ``pad_max_abs_yaw_deg``: the
    PAD model's scores drop on turned heads) scored for presentation attacks, those embedded first,
    then others at random; ``frontal_max_abs_yaw_deg``: what counts as frontal for the match."""

    full_scan_every: int = 10
    best_frames: int = 3
    random_frames: int = 8
    pad_frames: int = 12
    frontal_max_abs_yaw_deg: float = 12.0
    pad_max_abs_yaw_deg: float = 15.0
    open_eye_ratio: float = 0.85


@dataclass(frozen=True, slots=True, eq=False)
class StreamObservation:
    observations: tuple[FrameObservation, ...]
    best: tuple[int, ...]
    """Indices of the frames fused for the 1:1 match, best first."""
    best_embeddings: tuple[np.ndarray, ...]
    pad_scores: tuple[float, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)


def observe_stream(
    frames: Sequence[TimedJpeg],
    *,
    engine: FaceEngine,
    max_bytes: int,
    max_pixels: int,
    rng: random.Random,
    pad: PresentationAttackDetector | None = None,
    policy: StreamPolicy = StreamPolicy(),
    pool: LocatorPool | None = None,
) -> StreamObservation:
    """See the module docstring; ``pool`` runs pass 1 in worker processes. Decoding errors are the
    typed ImageError subclasses."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    jpegs = [frame.jpeg for frame in frames]
    if pool is not None:
        faces_per_frame = pool.locate(jpegs, max_bytes=max_bytes, max_pixels=max_pixels,
                                      full_scan_every=policy.full_scan_every)
    else:
        faces_per_frame = locate_all(jpegs, engine, max_bytes=max_bytes, max_pixels=max_pixels,
                                     full_scan_every=policy.full_scan_every)
    timings["detect"] = (time.perf_counter() - started) * 1e3

    best = _best_frames(faces_per_frame, policy)
    others = [i for i, faces in enumerate(faces_per_frame) if faces and i not in best]
    chosen = sorted({*best, *rng.sample(others, min(policy.random_frames, len(others)))})

    near_frontal = [i for i, faces in enumerate(faces_per_frame)
                    if faces and abs(_largest(faces).quality.yaw_deg) <= policy.pad_max_abs_yaw_deg]
    scored: list[int] = []
    if pad is not None:
        scored = [i for i in chosen if i in near_frontal][: policy.pad_frames]
        unscored = [i for i in near_frontal if i not in scored]
        scored += rng.sample(unscored, min(len(unscored), policy.pad_frames - len(scored)))

    started = time.perf_counter()
    embedded: dict[int, Face] = {}
    pad_items = []
    for i in sorted({*chosen, *scored}):
        image = decode_image(frames[i].jpeg, max_bytes=max_bytes, max_pixels=max_pixels)
        face = _largest(faces_per_frame[i])
        if i in chosen:
            (face,) = engine.embed(image, [face])
            embedded[i] = face
        if i in scored:
            pad_items.append((image, face))
    timings["embed"] = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    scores = tuple(float(s) for s in pad.live_scores(pad_items)) if pad is not None else ()
    timings["pad"] = (time.perf_counter() - started) * 1e3

    observations = []
    for i, (frame, faces) in enumerate(zip(frames, faces_per_frame)):
        followed = (embedded[i], *[f for f in faces if f is not _largest(faces)]) if i in embedded else faces
        observations.append(FrameObservation.from_faces(frame.t_ms, followed))
    return StreamObservation(tuple(observations), tuple(best), tuple(embedded[i].embedding for i in best),
                             scores, timings)


def locate_all(jpegs: Sequence[bytes], engine: FaceEngine, *, max_bytes: int, max_pixels: int,
               full_scan_every: int) -> list[tuple[Face, ...]]:
    """Whole-frame scans on every ``full_scan_every``-th frame and until a face is first seen;
    otherwise a scan near the face last seen. A lost face (a head turned past the detector's
    range) therefore costs a cheap local scan per frame, never a whole-frame scan per frame."""
    tracking = isinstance(engine, TrackingFaceEngine)
    found: list[tuple[Face, ...]] = []
    last_seen: Face | None = None
    for index, jpeg in enumerate(jpegs):
        image = decode_image(jpeg, max_bytes=max_bytes, max_pixels=max_pixels)
        if tracking and last_seen is not None and index % full_scan_every:
            faces = engine.detect_near(image, last_seen.box)  # type: ignore[attr-defined]
        else:
            faces = engine.detect(image)
        found.append(faces)
        if faces:
            last_seen = _largest(faces)
    return found


def _largest(faces: Sequence[Face]) -> Face:
    return max(faces, key=lambda face: face.box.width * face.box.height)


def _best_frames(faces_per_frame: Sequence[tuple[Face, ...]], policy: StreamPolicy) -> list[int]:
    """The sharpest frontal frames with open eyes, preferring frames without image-quality flags."""
    frontal = [i for i, faces in enumerate(faces_per_frame)
               if faces and abs(_largest(faces).quality.yaw_deg) <= policy.frontal_max_abs_yaw_deg]
    if not frontal:
        return []
    ears = {i: FrameObservation.from_faces(0, faces_per_frame[i]).ear or 0.0 for i in frontal}
    open_eyes = policy.open_eye_ratio * float(np.median(list(ears.values())))
    candidates = [i for i in frontal if ears[i] >= open_eyes] or frontal

    def rank(i: int) -> tuple[bool, float]:
        quality = _largest(faces_per_frame[i]).quality
        return (not IMAGE_FLAGS & set(quality.flags), quality.sharpness)

    return sorted(candidates, key=rank, reverse=True)[: policy.best_frames]
