"""Inputs, policy and events of the liveness decision (:mod:`civicid.face.liveness`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from civicid.face.challenge import Action
from civicid.face.models import Face
from civicid.face.quality import head_pose


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes (Soukupová & Čech, "Real-Time Eye Blink Detection using
    Facial Landmarks", 2016): (|p2-p6| + |p3-p5|) / (2 |p1-p4|) on the 300-W points 36-41, 42-47.
    About 0.2-0.35 with open eyes, depending on the person; it falls toward 0.1 when they close."""
    points = np.asarray(landmarks, dtype=np.float64)
    ratios = []
    for eye in (points[36:42], points[42:48]):
        width = np.linalg.norm(eye[0] - eye[3])
        height = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        ratios.append(height / (2 * width) if width > 0 else 0.0)
    return float(np.mean(ratios))


def estimate_yaw(landmarks: np.ndarray) -> float:
    """Yaw in degrees, positive when the nose points toward image-right.

    This is the engine's own estimate (:func:`civicid.face.quality.head_pose`, reported as
    ``Quality.yaw_deg``), so the liveness decision and the quality flags read the same number.
    """
    return head_pose(landmarks)[0]


@dataclass(frozen=True, slots=True, eq=False)
class FrameObservation:
    """What the engine saw in one frame.

    ``t_ms``       capture time in milliseconds (client clock; strictly increasing).
    ``landmarks``  (68, 2) points of the face, None when no face was found.
    ``embedding``  the face's descriptor, None when not computed.
    ``sharpness``  the engine's ``Quality.sharpness`` of the face, None when unknown.
    ``face_count`` how many faces the detector found (landmarks are those of the largest).
    ``ear`` and ``yaw_deg`` are derived from the landmarks.
    """

    t_ms: int
    landmarks: np.ndarray | None = None
    embedding: np.ndarray | None = None
    sharpness: float | None = None
    face_count: int = -1
    ear: float | None = field(init=False, default=None)
    yaw_deg: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.landmarks is not None:
            points = np.asarray(self.landmarks, dtype=np.float64)
            if points.shape != (68, 2) or not np.isfinite(points).all():
                raise ValueError("landmarks must be a finite (68, 2) array")
            object.__setattr__(self, "ear", eye_aspect_ratio(points))
            object.__setattr__(self, "yaw_deg", estimate_yaw(points))
        if self.face_count < 0:
            object.__setattr__(self, "face_count", 0 if self.landmarks is None else 1)

    @classmethod
    def from_faces(cls, t_ms: int, faces: Sequence[Face]) -> FrameObservation:
        """The observation of a frame from the engine's faces (the largest face is followed)."""
        if not faces:
            return cls(t_ms=t_ms, face_count=0)
        face = max(faces, key=lambda f: f.box.width * f.box.height)
        return cls(
            t_ms=t_ms,
            landmarks=face.landmarks,
            embedding=face.embedding,
            sharpness=face.quality.sharpness,
            face_count=len(faces),
        )


@dataclass(frozen=True, slots=True)
class LivenessPolicy:
    """Thresholds of the liveness decision; defaults calibrated in docs/liveness.md.

    Frames and time: ``min_frames``..``max_frames`` frames spanning at most ``max_duration_ms``.
    Faces: at most ``max_missing_fraction`` of frames without a face.
    Static: the largest landmark displacement from the median shape, in inter-eye distances,
    must reach ``static_max_motion``.
    Identity: at least ``min_embedded_fraction`` of the frames with a face carry an embedding
    (0 turns the identity check off when no frame has one: for landmark-only tests), and at
    least ``min_embedded_frames`` (a stream embeds a random subset of its frames);
    the reference is the medoid of the embeddings of near-frontal frames (|yaw| <=
    ``identity_frontal_max_abs_yaw_deg``); near-frontal frames must lie within
    ``max_identity_distance`` of it, more turned frames within ``max_identity_distance_turned``
    (embeddings of half-profiles drift: 0.68 from the medoid at 55° in the zub clip).
    Frontal: one frame with |yaw| <= ``frontal_max_abs_yaw_deg``, sharpness >= ``min_sharpness``
    (the engine's scale, ``QualityPolicy.min_sharpness``) and open eyes.
    Blink: EAR below ``blink_close_ratio`` x the median EAR of the frames within
    ``blink_baseline_window_ms`` either side, for at most ``blink_max_closed_ms``, with an open
    frame (>= ``blink_open_ratio`` x baseline) within ``blink_transition_ms`` before and after;
    only frames with |yaw| <= ``blink_max_abs_yaw_deg`` count (a turned eye foreshortens).
    Turn: |yaw| >= ``turn_min_abs_yaw_deg`` on ``turn_min_frames`` frames, the run lasting while
    |yaw| stays >= ``turn_release_abs_yaw_deg`` on the same side.
    """

    min_frames: int = 10
    max_frames: int = 150
    max_duration_ms: int = 120_000
    max_missing_fraction: float = 0.5
    static_max_motion: float = 0.03
    max_identity_distance: float = 0.5
    max_identity_distance_turned: float = 0.7
    identity_frontal_max_abs_yaw_deg: float = 15.0
    min_embedded_fraction: float = 1.0
    min_embedded_frames: int = 0
    frontal_max_abs_yaw_deg: float = 12.0
    min_sharpness: float = 15.0
    blink_close_ratio: float = 0.75
    blink_open_ratio: float = 0.88
    blink_baseline_window_ms: int = 1000
    blink_max_closed_ms: int = 500
    blink_transition_ms: int = 300
    blink_max_abs_yaw_deg: float = 20.0
    turn_min_abs_yaw_deg: float = 15.0
    turn_release_abs_yaw_deg: float = 10.0
    turn_min_frames: int = 2


@dataclass(frozen=True, slots=True)
class LivenessEvent:
    """One detected action. ``peak_ms`` is the deepest point: lowest EAR or largest |yaw|;
    ``value`` is EAR / baseline there for a blink, the yaw in degrees for a turn."""

    action: Action
    start_ms: int
    end_ms: int
    peak_ms: int
    value: float

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "peak_ms": self.peak_ms,
            "value": self.value,
        }
