"""Five-point similarity alignment (Umeyama 1991) onto the ArcFace template."""

from __future__ import annotations

import math

import numpy as np
import pytest

from civicid.face.align import ARCFACE_TEMPLATE_112, aligned_chip, context_crop, five_points, similarity
from civicid.face.models import Box


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


@pytest.mark.parametrize("scale, angle_deg, shift", [(1.0, 0.0, (0, 0)), (2.5, 17.0, (40, -12)), (0.4, -65.0, (3, 90))])
def test_a_known_similarity_is_recovered_exactly(scale: float, angle_deg: float, shift: tuple) -> None:
    a = math.radians(angle_deg)
    truth = np.array([[scale * math.cos(a), -scale * math.sin(a), shift[0]],
                      [scale * math.sin(a), scale * math.cos(a), shift[1]]])
    source = ARCFACE_TEMPLATE_112 * 1.7 + 20
    estimated = similarity(source, apply(truth, source))
    np.testing.assert_allclose(estimated, truth, atol=1e-9)


def test_a_mirrored_point_set_still_gives_a_rotation_not_a_reflection() -> None:
    mirrored = ARCFACE_TEMPLATE_112 * np.array([-1.0, 1.0])
    matrix = similarity(mirrored, ARCFACE_TEMPLATE_112)
    assert np.linalg.det(matrix[:, :2]) > 0


def test_five_points_are_eye_centres_nose_tip_and_mouth_corners() -> None:
    landmarks = np.zeros((68, 2))
    landmarks[36:42] = [10, 20]
    landmarks[42:48] = [30, 20]
    landmarks[30], landmarks[48], landmarks[54] = [20, 30], [12, 40], [28, 40]
    np.testing.assert_array_equal(five_points(landmarks), [[10, 20], [30, 20], [20, 30], [12, 40], [28, 40]])


def test_the_chip_puts_the_face_points_on_the_template() -> None:
    # A picture whose only bright pixels are the five points: after alignment they sit on the template.
    landmarks = np.zeros((68, 2))
    points = ARCFACE_TEMPLATE_112 * 2 + [50, 30]
    landmarks[36:42], landmarks[42:48] = points[0], points[1]
    landmarks[30], landmarks[48], landmarks[54] = points[2], points[3], points[4]
    pixels = np.zeros((320, 320, 3), dtype=np.uint8)
    for x, y in points.round().astype(int):
        pixels[y - 3:y + 4, x - 3:x + 4] = 255
    chip = aligned_chip(pixels, landmarks)
    assert chip.shape == (112, 112, 3)
    for x, y in ARCFACE_TEMPLATE_112.round().astype(int):
        assert chip[y, x].max() > 100


def test_the_context_crop_stays_inside_the_image_and_has_the_asked_size() -> None:
    pixels = np.arange(100 * 80 * 3, dtype=np.uint8).reshape(100, 80, 3)
    crop = context_crop(pixels, Box(left=60, top=5, right=80, bottom=30), scale=2.7, size=128)
    assert crop.shape == (128, 128, 3)
