"""Blinks, head turns and motion read from a sequence of landmark observations.

The rules and their thresholds are described on :class:`~civicid.face.liveness_types.LivenessPolicy`
and measured in docs/liveness.md. Frames without a face are skipped; the time limits (not frame
counts) decide whether a gap breaks an event, so the rules hold at any frame rate >= 15 fps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from civicid.face.challenge import Action
from civicid.face.liveness_types import FrameObservation, LivenessEvent, LivenessPolicy
from civicid.face.quality import inter_eye_distance

_MIN_BASELINE_FRAMES = 3


def ear_ratios(frames: Sequence[FrameObservation], *, policy: LivenessPolicy) -> list[float | None]:
    """Each frame's EAR divided by its local open-eye baseline (the median EAR of the usable frames
    within ``blink_baseline_window_ms`` either side); None where the eyes cannot be judged.

    A local baseline, not one per session, because EAR also sinks when the person looks down or
    smiles: those changes last seconds, a blink a tenth of one.
    """
    usable = [
        i for i, frame in enumerate(frames)
        if frame.ear is not None and frame.yaw_deg is not None and abs(frame.yaw_deg) <= policy.blink_max_abs_yaw_deg
    ]
    ratios: list[float | None] = [None] * len(frames)
    if not usable:
        return ratios
    times = np.array([frames[i].t_ms for i in usable], dtype=np.int64)
    ears = np.array([frames[i].ear for i in usable], dtype=np.float64)
    window = policy.blink_baseline_window_ms
    for k, i in enumerate(usable):
        lo = int(np.searchsorted(times, times[k] - window, side="left"))
        hi = int(np.searchsorted(times, times[k] + window, side="right"))
        if hi - lo < _MIN_BASELINE_FRAMES:
            continue
        baseline = float(np.median(ears[lo:hi]))
        if baseline > 0:
            ratios[i] = float(ears[k] / baseline)
    return ratios


def blink_closed_mask(frames: Sequence[FrameObservation], *, policy: LivenessPolicy) -> list[bool]:
    """True for frames whose eyes count as closed."""
    return [r is not None and r < policy.blink_close_ratio for r in ear_ratios(frames, policy=policy)]


def detect_blinks(frames: Sequence[FrameObservation], *, policy: LivenessPolicy) -> list[LivenessEvent]:
    """Closed-eye runs that start and end next to open-eye frames (see LivenessPolicy)."""
    ratios = ear_ratios(frames, policy=policy)
    seq = [(frames[i].t_ms, r) for i, r in enumerate(ratios) if r is not None]
    events: list[LivenessEvent] = []
    k = 0
    while k < len(seq):
        if seq[k][1] >= policy.blink_close_ratio:
            k += 1
            continue
        end = k
        while end + 1 < len(seq) and seq[end + 1][1] < policy.blink_close_ratio:
            end += 1
        start_ms, end_ms = seq[k][0], seq[end][0]
        opened_before = any(
            r >= policy.blink_open_ratio for t, r in seq[:k] if start_ms - t <= policy.blink_transition_ms
        )
        opened_after = any(
            r >= policy.blink_open_ratio for t, r in seq[end + 1:] if t - end_ms <= policy.blink_transition_ms
        )
        if opened_before and opened_after and end_ms - start_ms <= policy.blink_max_closed_ms:
            peak_t, peak_r = min(seq[k:end + 1], key=lambda item: item[1])
            events.append(LivenessEvent(Action.BLINK, start_ms, end_ms, peak_t, round(peak_r, 3)))
        k = end + 1
    return events


def detect_turns(
    frames: Sequence[FrameObservation], *, policy: LivenessPolicy, mirrored: bool = False
) -> list[LivenessEvent]:
    """Runs of yaw beyond the threshold on one side (see LivenessPolicy).

    Positive yaw (nose toward image-right) is the person's own left in an unmirrored capture:
    ``turn_left``. ``mirrored=True`` swaps the sides.
    """
    flip = -1.0 if mirrored else 1.0
    seq = [(frame.t_ms, flip * frame.yaw_deg) for frame in frames if frame.yaw_deg is not None]
    events: list[LivenessEvent] = []
    run: list[tuple[int, float]] = []
    side = 0.0

    def close_run() -> None:
        strong = [item for item in run if side * item[1] >= policy.turn_min_abs_yaw_deg]
        if len(strong) >= policy.turn_min_frames:
            peak_t, peak_yaw = max(run, key=lambda item: side * item[1])
            action = Action.TURN_LEFT if side > 0 else Action.TURN_RIGHT
            events.append(LivenessEvent(action, run[0][0], run[-1][0], peak_t, round(peak_yaw, 1)))

    for t, yaw in seq:
        if run and side * yaw >= policy.turn_release_abs_yaw_deg:
            run.append((t, yaw))
            continue
        if run:
            close_run()
            run = []
        if abs(yaw) >= policy.turn_min_abs_yaw_deg:
            side = 1.0 if yaw > 0 else -1.0
            run = [(t, yaw)]
    if run:
        close_run()
    return events


def landmark_motion(frames: Sequence[FrameObservation]) -> float:
    """The largest mean displacement of a frame's landmarks from the median shape, in inter-eye
    distances. 0 for one still picture repeated; a live head, even held still, moves more."""
    shapes = np.stack([np.asarray(f.landmarks, dtype=np.float64) for f in frames if f.landmarks is not None])
    median = np.median(shapes, axis=0)
    scale = inter_eye_distance(median)
    if scale <= 0:
        return 0.0
    displacement = np.linalg.norm(shapes - median, axis=2).mean(axis=1)
    return float(displacement.max() / scale)
