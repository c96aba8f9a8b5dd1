"""Quality measures on synthetic faces whose true pose, size, sharpness and exposure are known."""

from __future__ import annotations

import numpy as np
import pytest

from civicid.face import quality
from civicid.face.models import Box, QualityPolicy


def rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    a, b = np.radians(yaw_deg), np.radians(pitch_deg)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return rx @ ry


def landmarks(yaw_deg: float = 0.0, pitch_deg: float = 0.0, *, scale: float = 0.25, eye_gap: float = 60.0) -> np.ndarray:
    """68 points: the pose points projected from the generic head turned by (yaw, pitch)
    (pitch positive = chin down in the camera frame, i.e. looking down), eyes eye_gap apart."""
    points = np.zeros((68, 2))
    points[36:42] = (100 - eye_gap / 2, 100)
    points[42:48] = (100 + eye_gap / 2, 100)
    projected = quality._HEAD_MODEL @ rotation(yaw_deg, pitch_deg).T
    points[quality._POSE_POINTS, 0] = 100 + scale * projected[:, 0]
    points[quality._POSE_POINTS, 1] = 100 - scale * projected[:, 1]
    return points


@pytest.mark.parametrize("yaw, pitch", [(0, 0), (20, 0), (-35, 0), (0, 15), (0, -20), (15, 10)])
def test_head_pose_recovers_a_known_rotation(yaw: float, pitch: float) -> None:
    est_yaw, est_pitch = quality.head_pose(landmarks(yaw, pitch))
    assert est_yaw == pytest.approx(yaw, abs=1.0)
    assert est_pitch == pytest.approx(-pitch, abs=1.0)  # looking down is negative pitch


def test_inter_eye_distance_uses_the_eye_centres() -> None:
    points = np.zeros((68, 2))
    points[36:42] = [(8, 50), (10, 48), (12, 48), (14, 50), (12, 52), (10, 52)]  # centre (11, 50)
    points[42:48] = points[36:42] + (42, 0)
    assert quality.inter_eye_distance(points) == pytest.approx(42.0)


def pattern(side: int) -> np.ndarray:
    """The same smooth pattern (9 x 7 periods) rendered at any resolution."""
    x = (np.arange(side) + 0.5) / side
    return 127 + 60 * np.sin(2 * np.pi * 9 * x)[None, :] + 60 * np.cos(2 * np.pi * 7 * x)[:, None]


@pytest.mark.parametrize("side", [100, 300, 1000])
def test_sharpness_does_not_depend_on_the_face_size(side: int) -> None:
    assert quality.sharpness(pattern(side)) == pytest.approx(quality.sharpness(pattern(128)), rel=0.1)


def test_sharpness_drops_with_blur() -> None:
    texture = np.random.default_rng(1).integers(0, 256, size=(128, 128)).astype(np.float64)
    blurred = texture.copy()
    for _ in range(4):
        blurred = (blurred + np.roll(blurred, 1, 0) + np.roll(blurred, 1, 1) + np.roll(blurred, (1, 1), (0, 1))) / 4
    assert quality.sharpness(blurred) < quality.sharpness(texture) / 10


def test_resample_is_exact_on_a_constant() -> None:
    out = quality.resample(np.full((300, 200), 7.0), 128)
    assert out.shape == (128, 128)
    np.testing.assert_allclose(out, 7.0)


def image_with_face(level: int, *, noise: float = 40.0) -> np.ndarray:
    rng = np.random.default_rng(2)
    pixels = np.full((200, 200, 3), level, dtype=np.float64) + rng.normal(0, noise, (200, 200, 1))
    return np.clip(pixels, 0, 255).astype(np.uint8)


BOX = Box(left=50, top=50, right=150, bottom=150)
POLICY = QualityPolicy()


def test_a_good_face_has_no_flags() -> None:
    q = quality.assess_quality(image_with_face(128), BOX, landmarks(eye_gap=60), policy=POLICY)
    assert q.flags == ()
    assert q.acceptable
    assert q.brightness == pytest.approx(128, abs=3)


@pytest.mark.parametrize(
    "level, noise, points, flag",
    [
        (20, 5.0, landmarks(eye_gap=60), "underexposed"),
        (240, 5.0, landmarks(eye_gap=60), "overexposed"),
        (128, 0.0, landmarks(eye_gap=60), "blurry"),
        (128, 40.0, landmarks(eye_gap=10), "face_too_small"),
        (128, 40.0, landmarks(40, 0, eye_gap=60), "not_frontal"),
        (128, 40.0, landmarks(0, 35, eye_gap=60), "not_frontal"),
    ],
)
def test_each_failure_is_flagged(level: int, noise: float, points: np.ndarray, flag: str) -> None:
    q = quality.assess_quality(image_with_face(level, noise=noise), BOX, points, policy=POLICY)
    assert flag in q.flags


def test_flags_follow_the_policy_given() -> None:
    strict = QualityPolicy(min_inter_eye_px=90.0)
    q = quality.assess_quality(image_with_face(128), BOX, landmarks(eye_gap=60), policy=strict)
    assert q.flags == ("face_too_small",)


def test_a_box_partly_outside_the_image_is_clipped() -> None:
    box = Box(left=-40, top=150, right=60, bottom=260)
    q = quality.assess_quality(image_with_face(128), box, landmarks(eye_gap=60), policy=POLICY)
    assert q.brightness == pytest.approx(128, abs=5)
