"""The liveness decision: was the server's challenge performed, live, by one person, in time?

DESIGN.md, Flows, Enrolment: "liveness (challenge performed in order within the time window;
identity consistent across all frames)". Pure functions over per-frame observations (68 landmarks,
embedding, sharpness) that the face engine produced; nothing here runs a detector, so every rule
can be tested with synthetic landmark sequences. Thresholds were calibrated on the clips in the
shared data (docs/liveness.md, "Calibration").

Signals:

- blink: the eye aspect ratio (EAR, Soukupová & Čech 2016) drops below ``blink_close_ratio`` of the
  person's local open-eye baseline (median EAR within ``blink_baseline_window_ms``) and comes back
  above ``blink_open_ratio`` of it, with the closure no longer than ``blink_max_closed_ms``;
- turns: yaw from :func:`civicid.face.quality.head_pose` (the same number as the engine's
  ``Quality.yaw_deg``; positive = nose toward image-right) held beyond ``turn_min_abs_yaw_deg``
  for ``turn_min_frames`` frames. Positive yaw is ``turn_left`` in an unmirrored capture
  (see :mod:`civicid.face.challenge`).

Landmark-only liveness proves motion, not presence: a replayed video of the person doing the
challenge passes it (docs/liveness.md, "Replay clips").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from civicid.face.challenge import Action
from civicid.face.liveness_signals import (
    blink_closed_mask,
    detect_blinks,
    detect_turns,
    landmark_motion,
)
from civicid.face.liveness_types import (
    FrameObservation,
    LivenessEvent,
    LivenessPolicy,
    estimate_yaw,
    eye_aspect_ratio,
)

__all__ = [
    "FrameObservation",
    "detect_blinks",
    "detect_turns",
    "estimate_yaw",
    "eye_aspect_ratio",
    "landmark_motion",
    "LivenessEvent",
    "LivenessPolicy",
    "LivenessResult",
    "evaluate_liveness",
    "match_actions",
]


@dataclass(frozen=True, slots=True)
class LivenessResult:
    """The decision and the evidence behind it.

    ``reasons`` are stable machine-readable codes (empty when passed). ``matched`` gives, for
    each challenged action in order, the index in ``events`` that satisfied it (empty unless
    every action matched in order). ``best_frame`` is the index of the sharpest frontal frame with
    open eyes, the one to compare with the registry photo.
    """

    passed: bool
    reasons: tuple[str, ...]
    events: tuple[LivenessEvent, ...] = ()
    matched: tuple[int, ...] = ()
    best_frame: int | None = None
    frames: int = 0
    face_frames: int = 0
    max_identity_distance: float | None = None
    max_identity_distance_turned: float | None = None
    motion: float | None = None
    policy: LivenessPolicy = field(default_factory=LivenessPolicy)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "events": [event.to_json() for event in self.events],
            "matched": list(self.matched),
            "best_frame": self.best_frame,
            "frames": self.frames,
            "face_frames": self.face_frames,
            "max_identity_distance": self.max_identity_distance,
            "max_identity_distance_turned": self.max_identity_distance_turned,
            "motion": self.motion,
        }


def evaluate_liveness(
    observations: Sequence[FrameObservation],
    *,
    challenge_actions: Sequence[Action],
    policy: LivenessPolicy = LivenessPolicy(),
    window_ms: tuple[int, int] | None = None,
    mirrored: bool = False,
    prompts_ms: Sequence[int] | None = None,
    prompt_window_ms: tuple[int, int] = (200, 2000),
) -> LivenessResult:
    """Decide whether ``observations`` (in capture order) show ``challenge_actions`` performed live.

    ``window_ms`` is the session's (start, end) on the same clock as ``t_ms``; every frame must
    fall inside it. ``mirrored`` says the client sent mirrored (selfie-preview) frames, which swaps
    the meaning of image-left and image-right. With ``prompts_ms`` (when each action was asked
    for, on the frames' clock), an action counts only when its event starts within
    ``prompt_window_ms`` after its prompt: a recording made before the challenge existed has its
    actions at other times.

    Reason codes: liveness.too_few_frames, liveness.too_many_frames, liveness.timestamps_invalid,
    liveness.outside_window, liveness.face_missing, liveness.multiple_faces,
    liveness.static_sequence, liveness.identity_unverified, liveness.identity_inconsistent,
    liveness.no_frontal_frame, liveness.action_missing:<action>, liveness.order,
    liveness.action_late (every action was seen in order, but not within its prompt's window).
    """
    frames = tuple(observations)
    actions = tuple(Action(action) for action in challenge_actions)
    if not actions:
        raise ValueError("a challenge needs at least one action")
    if prompts_ms is not None and len(prompts_ms) != len(actions):
        raise ValueError("one prompt time per action")

    reasons: list[str] = []
    if len(frames) < policy.min_frames:
        reasons.append("liveness.too_few_frames")
    if len(frames) > policy.max_frames:
        reasons.append("liveness.too_many_frames")
    times = [frame.t_ms for frame in frames]
    if any(b <= a for a, b in zip(times, times[1:])) or any(t < 0 for t in times):
        reasons.append("liveness.timestamps_invalid")
    if reasons:
        # Order and durations mean nothing on such input: stop before reading the signals.
        return LivenessResult(passed=False, reasons=tuple(reasons), frames=len(frames), policy=policy)

    if times[-1] - times[0] > policy.max_duration_ms or (
        window_ms is not None and (times[0] < window_ms[0] or times[-1] > window_ms[1])
    ):
        reasons.append("liveness.outside_window")

    with_face = [i for i, frame in enumerate(frames) if frame.landmarks is not None]
    missing = 1 - len(with_face) / len(frames)
    if missing > policy.max_missing_fraction or not with_face:
        reasons.append("liveness.face_missing")
    if any(frame.face_count > 1 for frame in frames):
        reasons.append("liveness.multiple_faces")

    motion = landmark_motion(frames) if with_face else None
    if motion is not None and motion < policy.static_max_motion:
        reasons.append("liveness.static_sequence")

    distance, distance_turned = _identity(frames, with_face, policy, reasons)

    closed = blink_closed_mask(frames, policy=policy)
    best = _best_frame(frames, closed, policy)
    if best is None:
        reasons.append("liveness.no_frontal_frame")

    events = tuple(sorted(
        detect_blinks(frames, policy=policy) + detect_turns(frames, policy=policy, mirrored=mirrored),
        key=lambda event: (event.start_ms, event.end_ms),
    ))
    windows = None if prompts_ms is None else [(t + prompt_window_ms[0], t + prompt_window_ms[1]) for t in prompts_ms]
    matched = match_actions(events, actions, windows=windows)
    if matched is None:
        found = [event.action for event in events]
        short = [action for action in dict.fromkeys(actions) if found.count(action) < actions.count(action)]
        reasons.extend(f"liveness.action_missing:{action.value}" for action in short)
        if not short:
            reasons.append("liveness.order" if windows is None or match_actions(events, actions) is None
                           else "liveness.action_late")

    return LivenessResult(
        passed=not reasons,
        reasons=tuple(reasons),
        events=events,
        matched=matched or (),
        best_frame=best,
        frames=len(frames),
        face_frames=len(with_face),
        max_identity_distance=distance,
        max_identity_distance_turned=distance_turned,
        motion=None if motion is None else round(motion, 4),
        policy=policy,
    )


def match_actions(
    events: Sequence[LivenessEvent],
    actions: Sequence[Action],
    *,
    windows: Sequence[tuple[int, int]] | None = None,
) -> tuple[int, ...] | None:
    """Indices of ``events`` (sorted by time) that perform ``actions`` in order, or None.

    Other events may come between (people blink when they are not asked to); the earliest match
    for each action is taken, which finds a match whenever one exists. With ``windows``, the
    event of action i must start within ``windows[i]`` (inclusive).
    """
    matched: list[int] = []
    position = 0
    for i, action in enumerate(actions):
        lo, hi = windows[i] if windows is not None else (None, None)
        while position < len(events) and (
            events[position].action is not action
            or (lo is not None and not lo <= events[position].start_ms <= hi)
        ):
            position += 1
        if position == len(events):
            return None
        matched.append(position)
        position += 1
    return tuple(matched)


def _identity(
    frames: Sequence[FrameObservation], with_face: Sequence[int], policy: LivenessPolicy, reasons: list[str]
) -> tuple[float | None, float | None]:
    """Largest distances of near-frontal and of turned frames from the reference embedding.

    The reference is the medoid of the near-frontal embeddings: unlike a mean or median vector
    it is a real frame, so frames of two people spliced half and half cannot both sit near it.
    """
    embedded = [i for i in with_face if frames[i].embedding is not None]
    if len(embedded) < policy.min_embedded_fraction * len(with_face) or len(embedded) < policy.min_embedded_frames or (
        not embedded and policy.min_embedded_fraction > 0
    ):
        reasons.append("liveness.identity_unverified")
        return None, None
    if not embedded:
        return None, None
    limit = policy.identity_frontal_max_abs_yaw_deg
    frontal = [i for i in embedded if abs(frames[i].yaw_deg or 0.0) <= limit]
    turned = [i for i in embedded if abs(frames[i].yaw_deg or 0.0) > limit]
    basis = np.stack([np.asarray(frames[i].embedding, dtype=np.float64) for i in (frontal or embedded)])
    pairwise = np.linalg.norm(basis[:, None, :] - basis[None, :, :], axis=2)
    reference = basis[int(np.argmin(pairwise.sum(axis=1)))]

    def farthest(indices: Sequence[int]) -> float | None:
        if not indices:
            return None
        vectors = np.stack([np.asarray(frames[i].embedding, dtype=np.float64) for i in indices])
        return float(np.linalg.norm(vectors - reference, axis=1).max())

    near, far = farthest(frontal), farthest(turned)
    if (near is not None and near > policy.max_identity_distance) or (
        far is not None and far > policy.max_identity_distance_turned
    ):
        reasons.append("liveness.identity_inconsistent")
    # Rounded for the report only: the limits are compared with the exact distances.
    return (None if near is None else round(near, 4)), (None if far is None else round(far, 4))


def _best_frame(frames: Sequence[FrameObservation], closed: Sequence[bool], policy: LivenessPolicy) -> int | None:
    best: int | None = None
    for i, frame in enumerate(frames):
        if frame.landmarks is None or frame.sharpness is None or closed[i]:
            continue
        if abs(frame.yaw_deg) > policy.frontal_max_abs_yaw_deg or frame.sharpness < policy.min_sharpness:
            continue
        if best is None or frame.sharpness > (frames[best].sharpness or 0.0):
            best = i
    return best
