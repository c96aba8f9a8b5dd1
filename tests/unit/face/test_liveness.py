"""The liveness decision on synthetic landmark sequences (exact times, no data files needed).

Real clips are in test_liveness_clips.py.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from civicid.face.challenge import Action, parse_actions
from civicid.face.liveness import (
    FrameObservation,
    LivenessEvent,
    LivenessPolicy,
    evaluate_liveness,
    estimate_yaw,
    eye_aspect_ratio,
    match_actions,
)
from civicid.face.errors import ImageError
from civicid.face.liveness_observe import observe_frames
from civicid.face.models import Box, Face, Quality
from civicid.face.quality import head_pose
from civicid.face.video import VideoFrame

from .liveness_synthetic import build_sequence, face_landmarks, load_cases, person_embedding

CASES = load_cases()
BLINK_TURN = {"fps": 15, "segments": [
    {"ms": 1000}, {"ms": 130, "ear": 0.08}, {"ms": 800, "ear": 0.3}, {"ms": 700, "yaw": 25}, {"ms": 700, "yaw": 0},
]}
ASKED = (Action.BLINK, Action.TURN_LEFT)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}:{c['name']}" for c in CASES])
def test_vector(case: dict) -> None:
    frames = build_sequence(case["spec"])
    result = evaluate_liveness(
        frames,
        challenge_actions=parse_actions(case["challenge"]),
        policy=LivenessPolicy(**case.get("policy", {})),
        mirrored=case.get("mirrored", False),
    )
    expect = case["expect"]
    assert result.reasons == tuple(expect["reasons"])
    assert result.passed is expect["passed"]
    if "events" in expect:
        assert [[e.action.value, e.start_ms, e.end_ms] for e in result.events] == expect["events"]


def test_the_vector_files_hold_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("ear", [0.1, 0.2, 0.3, 0.35])
def test_eye_aspect_ratio_is_the_eyelid_opening_over_the_eye_width(ear: float) -> None:
    assert eye_aspect_ratio(face_landmarks(ear=ear)) == pytest.approx(ear, abs=1e-5)


def test_eye_aspect_ratio_of_a_collapsed_eye_is_zero_not_an_error() -> None:
    landmarks = np.zeros((68, 2), dtype=np.float32)
    assert eye_aspect_ratio(landmarks) == 0.0


@pytest.mark.parametrize("yaw", [-40.0, -15.0, 0.0, 10.0, 25.0])
def test_yaw_reads_back_and_is_the_engines_number(yaw: float) -> None:
    landmarks = face_landmarks(yaw_deg=yaw)
    assert estimate_yaw(landmarks) == pytest.approx(yaw, abs=0.1)
    assert estimate_yaw(landmarks) == head_pose(landmarks)[0]


def test_positive_yaw_is_nose_toward_image_right() -> None:
    landmarks = face_landmarks(yaw_deg=25)
    face_centre_x = (landmarks[0, 0] + landmarks[16, 0]) / 2
    assert landmarks[30, 0] > face_centre_x
    assert estimate_yaw(landmarks) > 0


@pytest.mark.parametrize("bad", [np.zeros((5, 2)), np.zeros((68, 3)), np.full((68, 2), np.nan)])
def test_observation_refuses_malformed_landmarks(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        FrameObservation(t_ms=0, landmarks=bad)


def test_observation_derives_ear_yaw_and_face_count() -> None:
    seen = FrameObservation(t_ms=5, landmarks=face_landmarks(yaw_deg=20, ear=0.25))
    assert seen.face_count == 1
    assert seen.yaw_deg == pytest.approx(20, abs=0.1)
    assert seen.ear is not None and seen.ear > 0.25  # a turned eye looks narrower, so EAR rises
    empty = FrameObservation(t_ms=5)
    assert (empty.face_count, empty.ear, empty.yaw_deg) == (0, None, None)


def _face(size: int, landmarks: np.ndarray, embedding: np.ndarray, sharpness: float) -> Face:
    quality = Quality(inter_eye_px=60, sharpness=sharpness, brightness=120, yaw_deg=0, pitch_deg=0)
    return Face(box=Box(0, 0, size, size), landmarks=landmarks, quality=quality, embedding=embedding)


def test_from_faces_follows_the_largest_face_and_counts_all() -> None:
    small = _face(50, face_landmarks(yaw_deg=-20), person_embedding("b"), 10.0)
    large = _face(200, face_landmarks(yaw_deg=20), person_embedding("a"), 42.0)
    seen = FrameObservation.from_faces(100, [small, large])
    assert seen.face_count == 2
    assert seen.sharpness == 42.0
    assert seen.yaw_deg == pytest.approx(20, abs=0.1)
    assert np.array_equal(seen.embedding, person_embedding("a"))
    assert FrameObservation.from_faces(100, []).face_count == 0


def _events(*spec: tuple[Action, int]) -> list[LivenessEvent]:
    return [LivenessEvent(action, t, t, t, 0.0) for action, t in spec]


def test_match_actions_skips_unasked_events_and_keeps_order() -> None:
    events = _events((Action.BLINK, 0), (Action.TURN_LEFT, 100), (Action.BLINK, 200), (Action.TURN_RIGHT, 300))
    assert match_actions(events, [Action.TURN_LEFT, Action.TURN_RIGHT]) == (1, 3)
    assert match_actions(events, [Action.BLINK, Action.BLINK]) == (0, 2)
    assert match_actions(events, [Action.TURN_RIGHT, Action.TURN_LEFT]) is None
    assert match_actions(events, [Action.TURN_LEFT, Action.TURN_LEFT]) is None


def _frames(**overrides: object) -> list[FrameObservation]:
    return build_sequence({**BLINK_TURN, **overrides})


def test_the_reference_sequence_passes_and_reports_its_evidence() -> None:
    frames = _frames()
    result = evaluate_liveness(frames, challenge_actions=ASKED)
    assert result.passed and result.reasons == ()
    assert [result.events[i].action for i in result.matched] == list(ASKED)
    assert result.frames == len(frames) == result.face_frames
    assert result.max_identity_distance is not None and result.max_identity_distance < 0.1
    assert result.motion is not None and result.motion > LivenessPolicy().static_max_motion
    body = json.loads(json.dumps(result.to_json()))
    assert body["passed"] is True and body["events"][0]["action"] == "blink"


def test_the_best_frame_is_frontal_sharp_and_not_mid_blink() -> None:
    spec = {"fps": 15, "segments": [
        {"ms": 1000, "sharpness": 40}, {"ms": 130, "ear": 0.08, "sharpness": 90}, {"ms": 800, "ear": 0.3, "sharpness": 40},
        {"ms": 700, "yaw": 25, "sharpness": 80}, {"ms": 300, "yaw": 0, "sharpness": 60}, {"ms": 400, "sharpness": 40},
    ]}
    frames = build_sequence(spec)
    result = evaluate_liveness(frames, challenge_actions=ASKED)
    assert result.passed
    best = frames[result.best_frame]
    assert best.sharpness == 60 and abs(best.yaw_deg) < 1


def test_too_few_frames_stop_the_decision() -> None:
    result = evaluate_liveness(_frames()[:9], challenge_actions=ASKED)
    assert result.reasons == ("liveness.too_few_frames",)
    assert not result.passed and result.events == ()


def test_too_many_frames() -> None:
    frames = _frames()
    result = evaluate_liveness(frames, challenge_actions=ASKED, policy=LivenessPolicy(max_frames=len(frames) - 1))
    assert result.reasons == ("liveness.too_many_frames",)


def _retimed(frames: list[FrameObservation], index: int, t_ms: int) -> list[FrameObservation]:
    frame = frames[index]
    copy = FrameObservation(t_ms=t_ms, landmarks=frame.landmarks, embedding=frame.embedding, sharpness=frame.sharpness)
    return frames[:index] + [copy] + frames[index + 1:]


@pytest.mark.parametrize("change", ["repeated", "backwards", "negative"])
def test_timestamps_must_increase(change: str) -> None:
    frames = _frames()
    if change == "repeated":
        frames = _retimed(frames, 10, frames[9].t_ms)
    elif change == "backwards":
        frames = _retimed(frames, 10, frames[8].t_ms)
    else:
        frames = _retimed(frames, 0, -1)
    result = evaluate_liveness(frames, challenge_actions=ASKED)
    assert result.reasons == ("liveness.timestamps_invalid",)


def test_frames_outside_the_session_window() -> None:
    frames = _frames()
    inside = (frames[0].t_ms, frames[-1].t_ms)
    assert evaluate_liveness(frames, challenge_actions=ASKED, window_ms=inside).passed
    late = evaluate_liveness(frames, challenge_actions=ASKED, window_ms=(inside[0], inside[1] - 1))
    assert late.reasons == ("liveness.outside_window",)
    long = evaluate_liveness(frames, challenge_actions=ASKED, policy=LivenessPolicy(max_duration_ms=2000))
    assert long.reasons == ("liveness.outside_window",)


def test_a_second_face_in_any_frame() -> None:
    frames = _frames()
    frame = frames[20]
    frames[20] = FrameObservation(t_ms=frame.t_ms, landmarks=frame.landmarks, embedding=frame.embedding,
                                  sharpness=frame.sharpness, face_count=2)
    assert evaluate_liveness(frames, challenge_actions=ASKED).reasons == ("liveness.multiple_faces",)


def test_embedding_a_subset_of_frames_needs_a_policy_that_says_so() -> None:
    frames = [
        f if i % 2 == 0 else FrameObservation(t_ms=f.t_ms, landmarks=f.landmarks, sharpness=f.sharpness)
        for i, f in enumerate(_frames())
    ]
    assert evaluate_liveness(frames, challenge_actions=ASKED).reasons == ("liveness.identity_unverified",)
    assert evaluate_liveness(frames, challenge_actions=ASKED, policy=LivenessPolicy(min_embedded_fraction=0.5)).passed


def test_an_empty_challenge_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        evaluate_liveness(_frames(), challenge_actions=())


class _FakeEngine:
    """Finds the synthetic face in every image whose top-left pixel is white; records embeds."""

    name = "fake"

    def __init__(self) -> None:
        self.embedded: list[int] = []

    def detect(self, image):  # type: ignore[no-untyped-def]
        if image.pixels[0, 0, 0] < 128:
            return ()
        return (_face(100, face_landmarks(), None, 50.0),)

    def embed(self, image, faces):  # type: ignore[no-untyped-def]
        self.embedded.append(int(image.pixels[1, 1, 0]))
        return tuple(replace(face, embedding=person_embedding("a")) for face in faces)


def _jpeg(index: int, face: bool) -> bytes:
    pixels = np.full((48, 48, 3), index, dtype=np.uint8)
    pixels[0, 0] = 255 if face else 0
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=100)
    return out.getvalue()


def test_observe_frames_detects_every_frame_and_embeds_the_chosen_subset() -> None:
    frames = [VideoFrame(t_ms=100 * i, jpeg=_jpeg(10 * i, face=i != 4)) for i in range(9)]
    engine = _FakeEngine()
    observed = observe_frames(frames, engine=engine, max_bytes=100_000, max_pixels=10_000, embed_every=3, embed_offset=1)
    assert [o.t_ms for o in observed] == [f.t_ms for f in frames]
    assert [o.face_count for o in observed] == [1, 1, 1, 1, 0, 1, 1, 1, 1]
    embedded = [i for i, o in enumerate(observed) if o.embedding is not None]
    assert embedded == [1, 7]  # 4 is on the stride but has no face
    assert len(engine.embedded) == 2


@pytest.mark.parametrize("kwargs", [{"embed_every": 0}, {"embed_every": 3, "embed_offset": 3}, {"embed_offset": -1}])
def test_observe_frames_refuses_a_bad_stride(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        observe_frames([], engine=_FakeEngine(), max_bytes=1, max_pixels=1, **kwargs)


def test_observe_frames_passes_on_the_decoders_typed_error() -> None:
    frames = [VideoFrame(t_ms=0, jpeg=_jpeg(0, face=True)[:200])]
    with pytest.raises(ImageError):
        observe_frames(frames, engine=_FakeEngine(), max_bytes=100_000, max_pixels=10_000)
