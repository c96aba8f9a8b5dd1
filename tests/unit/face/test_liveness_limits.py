"""Every limit of the liveness decision at its exact value and one step past it.

An outside mutation-testing run of civicid.face.liveness left `<` <-> `<=` swaps, a dropped frontal
identity check and a summed duration alive: the tests stopped one step short of each limit. Here
each policy is built from literal values (not the module's defaults), the sequence is made to sit
exactly on the limit, and the step past it is the smallest one the input can take (1 frame, 1 ms,
1e-4 of a distance, 0.1° of yaw).
"""

from __future__ import annotations

import numpy as np
import pytest

from civicid.face.challenge import Action
from civicid.face.liveness import (
    FrameObservation,
    LivenessEvent,
    LivenessPolicy,
    LivenessResult,
    evaluate_liveness,
    match_actions,
)

from .liveness_synthetic import build_sequence, face_landmarks, pin_yaw, shifted, with_embeddings

ASKED = (Action.BLINK, Action.TURN_LEFT)
# A blink closing at 1000 ms, a left turn from 1933 ms (frames 29-39 at 25°), then a still frontal
# face for as long as a test needs frames: 15 fps, frame k at round(k * 1000 / 15) ms.
LIVE = {"fps": 15, "segments": [
    {"ms": 1000}, {"ms": 130, "ear": 0.08}, {"ms": 800, "ear": 0.3}, {"ms": 700, "yaw": 25}, {"ms": 20_000, "yaw": 0},
]}
BLINK_MS, TURN_MS = 1000, 1933
TURNED = range(29, 40)
MINUTE = 60_000


def live(count: int = 50) -> list[FrameObservation]:
    frames = build_sequence(LIVE)[:count]
    assert len(frames) == count
    return frames


def _unit(axis: int, length: float = 1.0) -> np.ndarray:
    vector = np.zeros(128)
    vector[axis] = length
    return vector


CENTRE = _unit(0)


def _off_centre(distance: float, sign: float = 1.0) -> np.ndarray:
    """An embedding exactly ``distance`` from CENTRE."""
    return CENTRE + _unit(1, sign * distance)


def _decide(frames: list[FrameObservation], policy: LivenessPolicy, **kwargs: object) -> LivenessResult:
    return evaluate_liveness(frames, challenge_actions=ASKED, policy=policy, **kwargs)  # type: ignore[arg-type]


def test_the_base_sequence_passes_with_its_events_where_the_tests_expect_them() -> None:
    result = _decide(live(), LivenessPolicy())
    assert result.passed
    assert [(e.action, e.start_ms) for e in result.events] == [(Action.BLINK, BLINK_MS), (Action.TURN_LEFT, TURN_MS)]
    assert [round(live()[i].yaw_deg) for i in (28, *TURNED, 40)] == [0] + [25] * 11 + [0]


# Frames


@pytest.mark.parametrize(("count", "reasons"), [(150, ()), (151, ("liveness.too_many_frames",))])
def test_max_frames(count: int, reasons: tuple[str, ...]) -> None:
    assert _decide(live(count), LivenessPolicy(max_frames=150)).reasons == reasons


@pytest.mark.parametrize(("count", "reasons"), [(50, ()), (49, ("liveness.too_few_frames",))])
def test_min_frames(count: int, reasons: tuple[str, ...]) -> None:
    assert _decide(live(count), LivenessPolicy(min_frames=50)).reasons == reasons


# Time: the sequence starts at 60 s, so a duration computed from anything but last - first is wrong.


@pytest.mark.parametrize(("limit", "reasons"), [(3267, ()), (3266, ("liveness.outside_window",))])
def test_max_duration_of_a_sequence_that_starts_at_a_minute(limit: int, reasons: tuple[str, ...]) -> None:
    frames = shifted(live(), MINUTE)
    assert (frames[0].t_ms, frames[-1].t_ms) == (60_000, 63_267)
    assert _decide(frames, LivenessPolicy(max_duration_ms=limit)).reasons == reasons


@pytest.mark.parametrize(("window", "reasons"), [
    ((60_000, 63_267), ()),
    ((60_001, 63_267), ("liveness.outside_window",)),  # the window opens after the first frame
    ((60_000, 63_266), ("liveness.outside_window",)),  # and closes before the last
    ((0, 120_000), ()),
])
def test_session_window_edges(window: tuple[int, int], reasons: tuple[str, ...]) -> None:
    frames = shifted(live(), MINUTE)
    assert _decide(frames, LivenessPolicy(max_duration_ms=120_000), window_ms=window).reasons == reasons


# Faces


@pytest.mark.parametrize(("count", "reasons"), [
    (100, ()),  # 50 of 100 frames without a face: exactly half
    (101, ("liveness.face_missing",)),  # 51 of 101
])
def test_max_missing_fraction(count: int, reasons: tuple[str, ...]) -> None:
    frames = [frame if i < 50 else FrameObservation(t_ms=frame.t_ms) for i, frame in enumerate(live(count))]
    result = _decide(frames, LivenessPolicy(max_frames=150, max_missing_fraction=0.5))
    assert result.reasons == reasons
    assert result.face_frames == 50


def _still(shift_px: float) -> list[FrameObservation]:
    """Ten identical frontal frames, the sixth moved ``shift_px`` to the right (60 px between the eyes)."""
    landmarks = face_landmarks()
    frames = [FrameObservation(t_ms=100 * i, landmarks=landmarks, sharpness=50.0) for i in range(10)]
    frames[5] = FrameObservation(t_ms=500, landmarks=landmarks + np.float32([shift_px, 0]), sharpness=50.0)
    return frames


@pytest.mark.parametrize(("limit", "static"), [(0.05, False), (0.0501, True)])
def test_static_max_motion(limit: float, static: bool) -> None:
    result = _decide(_still(3.0), LivenessPolicy(static_max_motion=limit, min_embedded_fraction=0.0))
    assert result.motion == 0.05  # 3 px / 60 px
    assert ("liveness.static_sequence" in result.reasons) is static


# Identity


@pytest.mark.parametrize(("distance", "reasons"), [(0.5, ()), (0.5001, ("liveness.identity_inconsistent",))])
def test_max_identity_distance_of_a_frontal_frame(distance: float, reasons: tuple[str, ...]) -> None:
    frames = with_embeddings(live(), {i: CENTRE for i in range(50)} | {45: _off_centre(distance)})
    result = _decide(frames, LivenessPolicy(max_identity_distance=0.5, max_identity_distance_turned=0.7))
    assert result.reasons == reasons
    assert result.max_identity_distance == distance


@pytest.mark.parametrize("distance", [0.50001, 0.50004])
def test_a_frontal_distance_past_the_limit_below_the_reported_precision_still_fails(distance: float) -> None:
    # The result reports distances to 4 decimals; the decision must not compare the rounded number.
    frames = with_embeddings(live(), {i: CENTRE for i in range(50)} | {45: _off_centre(distance)})
    result = _decide(frames, LivenessPolicy(max_identity_distance=0.5, max_identity_distance_turned=0.7))
    assert result.reasons == ("liveness.identity_inconsistent",)


@pytest.mark.parametrize(("distance", "reasons"), [(0.7, ()), (0.7001, ("liveness.identity_inconsistent",))])
def test_max_identity_distance_of_a_turned_frame(distance: float, reasons: tuple[str, ...]) -> None:
    frames = with_embeddings(live(), {i: CENTRE for i in range(50)} | {34: _off_centre(distance)})
    result = _decide(frames, LivenessPolicy(max_identity_distance=0.5, max_identity_distance_turned=0.7))
    assert result.reasons == reasons
    assert result.max_identity_distance_turned == distance
    assert result.max_identity_distance == 0.0


def test_an_impostor_in_frontal_frames_only() -> None:
    impostor = _off_centre(1.4)
    frames = with_embeddings(live(), {i: CENTRE for i in range(50)} | {i: impostor for i in range(42, 46)})
    result = _decide(frames, LivenessPolicy(max_identity_distance=0.5, max_identity_distance_turned=0.7))
    assert result.reasons == ("liveness.identity_inconsistent",)
    assert result.max_identity_distance == 1.4
    assert result.max_identity_distance_turned == 0.0


def test_two_opposite_outliers_around_the_medoid_pass() -> None:
    # 0.5 either side of the medoid, 1.0 from each other; they come first, so a reference taken
    # from the first frame (or the farthest one) would put the other 1.0 away.
    embeddings = {i: CENTRE for i in range(50)} | {0: _off_centre(0.5), 1: _off_centre(0.5, -1.0)}
    result = _decide(with_embeddings(live(), embeddings), LivenessPolicy(max_identity_distance=0.5))
    assert result.passed
    assert result.max_identity_distance == 0.5


def test_every_embedded_frame_turned() -> None:
    embeddings = {i: (CENTRE if i in TURNED else None) for i in range(50)}
    result = _decide(with_embeddings(live(), embeddings), LivenessPolicy(min_embedded_fraction=0.0))
    assert result.passed
    assert result.max_identity_distance is None
    assert result.max_identity_distance_turned == 0.0


@pytest.mark.parametrize(("yaw", "limits", "reasons"), [
    # 0.6 from the medoid: too far for a frontal frame (0.5), near enough for a turned one (0.7).
    (15.0, (0.5, 0.7), ("liveness.identity_inconsistent",)),
    (15.1, (0.5, 0.7), ()),
    # 0.45: near enough as a frontal frame; a turned limit of 0.4 shows it is not also taken as turned.
    (15.0, (0.5, 0.4), ()),
    (15.1, (0.5, 0.4), ("liveness.identity_inconsistent",)),
])
def test_identity_frontal_max_abs_yaw(yaw: float, limits: tuple[float, float], reasons: tuple[str, ...]) -> None:
    # Frame 45 of a sequence turned to 15° there; the turned segment's embeddings are left out.
    spec = {"fps": 15, "segments": [*LIVE["segments"][:4], {"ms": 370, "yaw": 0}, {"ms": 50, "yaw": 15},
                                    {"ms": 1000, "yaw": 0}]}
    frames = build_sequence(spec)[:50]
    distance = 0.6 if limits[1] > 0.5 else 0.45
    embeddings = {i: (None if i in TURNED else CENTRE) for i in range(50)} | {45: _off_centre(distance)}
    frames = with_embeddings(frames, embeddings)
    frames[45] = pin_yaw(frames[45], yaw)
    policy = LivenessPolicy(identity_frontal_max_abs_yaw_deg=15.0, max_identity_distance=limits[0],
                            max_identity_distance_turned=limits[1], min_embedded_fraction=0.0)
    assert _decide(frames, policy).reasons == reasons


@pytest.mark.parametrize(("kept", "reasons"), [(25, ()), (24, ("liveness.identity_unverified",))])
def test_min_embedded_fraction(kept: int, reasons: tuple[str, ...]) -> None:
    embedded = [i for i in range(50) if i % 2 == 0][:kept]
    frames = with_embeddings(live(), {i: None for i in range(50) if i not in embedded})
    assert _decide(frames, LivenessPolicy(min_embedded_fraction=0.5)).reasons == reasons


@pytest.mark.parametrize(("kept", "reasons"), [(5, ()), (4, ("liveness.identity_unverified",))])
def test_min_embedded_frames(kept: int, reasons: tuple[str, ...]) -> None:
    embedded = [0, 10, 20, 40, 45][:kept]
    frames = with_embeddings(live(), {i: None for i in range(50) if i not in embedded})
    policy = LivenessPolicy(min_embedded_fraction=0.0, min_embedded_frames=5)
    assert _decide(frames, policy).reasons == reasons


@pytest.mark.parametrize(("minimum", "reasons"), [(0, ()), (1, ("liveness.identity_unverified",))])
def test_no_embedding_at_all_with_the_fraction_off(minimum: int, reasons: tuple[str, ...]) -> None:
    frames = with_embeddings(live(), {i: None for i in range(50)})
    policy = LivenessPolicy(min_embedded_fraction=0.0, min_embedded_frames=minimum)
    assert _decide(frames, policy).reasons == reasons


# The frontal frame


def test_min_sharpness_exact() -> None:
    frames = [FrameObservation(t_ms=f.t_ms, landmarks=f.landmarks, embedding=f.embedding, sharpness=15.0)
              for f in live()]
    assert _decide(frames, LivenessPolicy(min_sharpness=15.0)).passed


def test_min_sharpness_just_below() -> None:
    frames = [FrameObservation(t_ms=f.t_ms, landmarks=f.landmarks, embedding=f.embedding, sharpness=14.99)
              for f in live()]
    assert _decide(frames, LivenessPolicy(min_sharpness=15.0)).reasons == ("liveness.no_frontal_frame",)


@pytest.mark.parametrize(("yaw", "best"), [(12.0, 45), (12.1, None)])
def test_frontal_max_abs_yaw(yaw: float, best: int | None) -> None:
    # Only frame 45 (turned to 12°) has a sharpness; every other frame is unknown.
    spec = {"fps": 15, "segments": [*LIVE["segments"][:4], {"ms": 370, "yaw": 0}, {"ms": 50, "yaw": 12},
                                    {"ms": 1000, "yaw": 0}]}
    frames = [FrameObservation(t_ms=f.t_ms, landmarks=f.landmarks, embedding=f.embedding, sharpness=None)
              for f in build_sequence(spec)[:50]]
    frames[45] = pin_yaw(FrameObservation(t_ms=frames[45].t_ms, landmarks=frames[45].landmarks,
                                          embedding=frames[45].embedding, sharpness=50.0), yaw)
    result = _decide(frames, LivenessPolicy(frontal_max_abs_yaw_deg=12.0))
    assert result.best_frame == best
    assert result.reasons == (() if best is not None else ("liveness.no_frontal_frame",))


# Signals: turns, blinks


@pytest.mark.parametrize(("yaw", "reasons"), [(15.0, ()), (14.9, ("liveness.action_missing:turn_left",))])
def test_turn_min_abs_yaw(yaw: float, reasons: tuple[str, ...]) -> None:
    spec = {"fps": 15, "segments": [*LIVE["segments"][:3], {"ms": 700, "yaw": 15}, {"ms": 700, "yaw": 0}]}
    frames = [pin_yaw(f, yaw) if i in TURNED else f for i, f in enumerate(build_sequence(spec))]
    assert _decide(frames, LivenessPolicy(turn_min_abs_yaw_deg=15.0)).reasons == reasons


@pytest.mark.parametrize(("frames_turned", "reasons"), [(2, ()), (1, ("liveness.action_missing:turn_left",))])
def test_turn_min_frames(frames_turned: int, reasons: tuple[str, ...]) -> None:
    spec = {"fps": 10, "segments": [*LIVE["segments"][:3], {"ms": 100 * frames_turned, "yaw": 25},
                                    {"ms": 1000, "yaw": 0}]}
    assert _decide(build_sequence(spec), LivenessPolicy(turn_min_frames=2)).reasons == reasons


@pytest.mark.parametrize(("yaw", "turns"), [(10.0, 1), (9.9, 2)])
def test_turn_release_abs_yaw(yaw: float, turns: int) -> None:
    # The middle frame of the turn eases back to 10°: the turn goes on; below it, a second turn starts.
    spec = {"fps": 15, "segments": [*LIVE["segments"][:3], {"ms": 330, "yaw": 25}, {"ms": 60, "yaw": 10},
                                    {"ms": 310, "yaw": 25}, {"ms": 700, "yaw": 0}]}
    frames = build_sequence(spec)
    frames[34] = pin_yaw(frames[34], yaw)
    result = _decide(frames, LivenessPolicy(turn_release_abs_yaw_deg=10.0))
    assert result.passed
    assert [e.action for e in result.events].count(Action.TURN_LEFT) == turns


@pytest.mark.parametrize(("yaw", "reasons"), [(-20.0, ()), (-20.1, ("liveness.action_missing:blink",))])
def test_blink_max_abs_yaw(yaw: float, reasons: tuple[str, ...]) -> None:
    # The head is turned to the right while it blinks (a turn_right the challenge does not ask for).
    spec = {"fps": 15, "segments": [{"ms": 1000, "yaw": -20}, {"ms": 130, "ear": 0.08}, {"ms": 800, "ear": 0.3},
                                    {"ms": 700, "yaw": 25}, {"ms": 700, "yaw": 0}]}
    frames = [pin_yaw(f, yaw) if f.yaw_deg < -19 else f for f in build_sequence(spec)]
    assert _decide(frames, LivenessPolicy(blink_max_abs_yaw_deg=20.0)).reasons == reasons


# Closed 1000-1500 ms at 20 fps (11 frames), open on either side.
BLINK_20FPS = {"fps": 20, "segments": [
    {"ms": 1000}, {"ms": 550, "ear": 0.08}, {"ms": 1000, "ear": 0.3}, {"ms": 700, "yaw": 25}, {"ms": 700, "yaw": 0},
]}


def _retimed(frames: list[FrameObservation], old_ms: int, new_ms: int) -> list[FrameObservation]:
    return [FrameObservation(t_ms=new_ms, landmarks=f.landmarks, embedding=f.embedding, sharpness=f.sharpness)
            if f.t_ms == old_ms else f for f in frames]


@pytest.mark.parametrize(("end_ms", "reasons"), [(1500, ()), (1501, ("liveness.action_missing:blink",))])
def test_blink_max_closed_ms(end_ms: int, reasons: tuple[str, ...]) -> None:
    frames = _retimed(build_sequence(BLINK_20FPS), 1500, end_ms)
    assert _decide(frames, LivenessPolicy(blink_max_closed_ms=500)).reasons == reasons


@pytest.mark.parametrize("side", ["before", "after"])
@pytest.mark.parametrize(("gap", "reasons"), [(300, ()), (301, ("liveness.action_missing:blink",))])
def test_blink_transition_ms(side: str, gap: int, reasons: tuple[str, ...]) -> None:
    # The open frame next to the closure is moved to ``gap`` ms from it, the frames between dropped.
    frames = build_sequence(BLINK_20FPS)
    if side == "before":
        frames = _retimed([f for f in frames if not 700 < f.t_ms < 1000], 700, 1000 - gap)
    else:
        frames = _retimed([f for f in frames if not 1500 < f.t_ms < 1800], 1800, 1500 + gap)
    assert _decide(frames, LivenessPolicy(blink_transition_ms=300)).reasons == reasons


# Prompts: an action counts only when its event starts within prompt_window_ms after its prompt.

PROMPT_WINDOW = (200, 2000)


@pytest.mark.parametrize(("prompts", "reasons"), [
    ((BLINK_MS - 200, TURN_MS - 200), ()),  # both start at prompt + lo
    ((BLINK_MS - 2000, TURN_MS - 2000), ()),  # both at prompt + hi
    ((BLINK_MS - 199, TURN_MS - 200), ("liveness.action_late",)),  # the blink at lo - 1
    ((BLINK_MS - 200, TURN_MS - 199), ("liveness.action_late",)),  # the turn at lo - 1
    ((BLINK_MS - 2001, TURN_MS - 2000), ("liveness.action_late",)),  # the blink at hi + 1
    ((BLINK_MS - 2000, TURN_MS - 2001), ("liveness.action_late",)),  # the turn at hi + 1
])
def test_prompt_window_edges(prompts: tuple[int, int], reasons: tuple[str, ...]) -> None:
    frames = shifted(live(), MINUTE)
    result = _decide(frames, LivenessPolicy(), prompts_ms=[MINUTE + t for t in prompts],
                     prompt_window_ms=PROMPT_WINDOW)
    assert result.reasons == reasons
    assert result.matched == (() if reasons else (0, 1))


def test_actions_out_of_order_with_prompts_are_an_order_failure_not_a_late_one() -> None:
    result = evaluate_liveness(live(), challenge_actions=(Action.TURN_LEFT, Action.BLINK),
                               prompts_ms=[TURN_MS - 200, BLINK_MS - 200], prompt_window_ms=PROMPT_WINDOW)
    assert result.reasons == ("liveness.order",)


def test_a_missing_action_with_prompts_is_missing_not_late() -> None:
    result = evaluate_liveness(live(), challenge_actions=(Action.BLINK, Action.TURN_RIGHT),
                               prompts_ms=[BLINK_MS - 200, TURN_MS - 200], prompt_window_ms=PROMPT_WINDOW)
    assert result.reasons == ("liveness.action_missing:turn_right",)


@pytest.mark.parametrize("prompts", [[], [800], [800, 1733, 2000]])
def test_one_prompt_per_action(prompts: list[int]) -> None:
    with pytest.raises(ValueError):
        evaluate_liveness(live(), challenge_actions=ASKED, prompts_ms=prompts)


@pytest.mark.parametrize(("start", "counts"), [(1200, True), (3000, True), (1199, False), (3001, False)])
def test_match_actions_windows_are_inclusive(start: int, counts: bool) -> None:
    events = [LivenessEvent(Action.BLINK, 0, 0, 0, 0.0), LivenessEvent(Action.TURN_LEFT, start, start, start, 0.0)]
    windows = [(0, 0), (1200, 3000)]
    assert match_actions(events, ASKED, windows=windows) == ((0, 1) if counts else None)
    assert match_actions(events, ASKED) == (0, 1)
