from __future__ import annotations

import numpy as np
import pytest

from civicid.face import errors
from civicid.face.compare import compare
from civicid.face.models import Box, DecodedImage, Face, Quality
from civicid.face.probe import primary_face, single_face


def face(left: int, top: int, size: int) -> Face:
    return Face(
        box=Box(left, top, left + size, top + size),
        landmarks=np.zeros((68, 2), np.float32),
        quality=Quality(inter_eye_px=size / 2.5, sharpness=100, brightness=120, yaw_deg=0, pitch_deg=0),
    )


IMAGE = DecodedImage(pixels=np.zeros((400, 600, 3), np.uint8), format="png")


def test_compare_returns_distance_threshold_and_decision() -> None:
    a, b = np.zeros(128, np.float32), np.zeros(128, np.float32)
    b[0] = 0.25
    assert compare(a, b, threshold=0.25).match is True  # at the threshold is a match
    result = compare(a, b, threshold=0.24)
    assert (result.distance, result.threshold, result.match) == (0.25, 0.24, False)


def test_compare_refuses_embeddings_of_different_engines() -> None:
    with pytest.raises(ValueError):
        compare(np.zeros(128), np.zeros(512), threshold=0.5)


def test_single_face_needs_exactly_one() -> None:
    with pytest.raises(errors.FaceNotFound):
        single_face([])
    with pytest.raises(errors.MultipleFaces) as caught:
        single_face([face(0, 0, 50), face(100, 0, 50)])
    assert caught.value.code == "face.multiple" and caught.value.detail == {"count": 2}
    only = face(0, 0, 50)
    assert single_face([only]) is only


def test_primary_face_prefers_large_then_central() -> None:
    central = face(260, 160, 80)
    corner_same_size = face(0, 0, 80)
    corner_much_larger = face(0, 0, 200)
    assert primary_face([corner_same_size, central], IMAGE) is central
    assert primary_face([central, corner_much_larger], IMAGE) is corner_much_larger
    with pytest.raises(errors.FaceNotFound):
        primary_face([], IMAGE)
