"""Quality of one located face, from its pixels and 68 landmarks (pure numpy).

Measures follow the usual capture-quality components of ISO/IEC 29794-5: size (inter-eye
distance), sharpness, exposure and pose. Each is a number; a :class:`QualityPolicy` turns the
numbers into flags. Landmark indices are those of the iBUG 300-W 68-point scheme (0-16 jaw,
36-41 and 42-47 the eyes in image left-to-right order, 30 nose tip, 48/54 mouth corners).
"""

from __future__ import annotations

import numpy as np

from civicid.face.models import Box, Quality, QualityPolicy

SHARPNESS_SIDE_PX = 128
"""Face crops are resampled to this square size before the Laplacian, so values compare."""

# A generic head (in mm, x to the subject's left as seen in the image, y up, z toward the
# camera) at the 300-W points it is fitted to: nose tip, chin, outer eye corners, mouth corners.
_POSE_POINTS = np.array([30, 8, 36, 45, 48, 54])
_HEAD_MODEL = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.0, -330.0, -65.0],
        [-225.0, 170.0, -135.0],
        [225.0, 170.0, -135.0],
        [-150.0, -150.0, -125.0],
        [150.0, -150.0, -125.0],
    ]
)


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the image-left and image-right eyes."""
    points = np.asarray(landmarks, dtype=np.float64)
    return points[36:42].mean(axis=0), points[42:48].mean(axis=0)


def inter_eye_distance(landmarks: np.ndarray) -> float:
    left, right = eye_centres(landmarks)
    return float(np.hypot(*(right - left)))


def head_pose(landmarks: np.ndarray) -> tuple[float, float]:
    """Rough (yaw, pitch) in degrees: a scaled-orthographic fit of a generic head.

    Yaw is positive when the face turns toward the image's right, pitch positive when it
    tilts up. Good to a few degrees near frontal, enough to flag a turned head.
    """
    image_points = np.asarray(landmarks, dtype=np.float64)[_POSE_POINTS]
    model = _HEAD_MODEL - _HEAD_MODEL.mean(axis=0)
    observed = image_points - image_points.mean(axis=0)
    # observed ≈ model @ A.T, A a 2x3 scaled rotation (rows: image x, image y pointing down).
    a_t, *_ = np.linalg.lstsq(model, observed, rcond=None)
    u, _, vt = np.linalg.svd(a_t.T, full_matrices=False)
    rows = u @ vt  # nearest matrix with orthonormal rows
    normal = np.cross(rows[0], rows[1])  # the model's z axis, seen from the camera: column 3 of R
    # For a frontal face rows = [[1,0,0],[0,-1,0]] and the normal (0,0,-1) points at the camera.
    r = np.vstack([rows, normal])
    facing = r[:, 2]
    yaw = np.degrees(np.arctan2(facing[0], -facing[2]))
    pitch = np.degrees(np.arctan2(-facing[1], np.hypot(facing[0], facing[2])))
    return float(yaw), float(pitch)


def face_grey(pixels: np.ndarray, box: Box) -> np.ndarray:
    """Luminance (ITU-R BT.601) of the face box clipped to the image, as float32."""
    height, width = pixels.shape[:2]
    top, bottom = max(box.top, 0), min(box.bottom, height)
    left, right = max(box.left, 0), min(box.right, width)
    if bottom - top < 2 or right - left < 2:
        return np.zeros((2, 2), dtype=np.float32)
    crop = pixels[top:bottom, left:right].astype(np.float32)
    return crop @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def resample(grey: np.ndarray, side: int) -> np.ndarray:
    """Square ``side`` x ``side`` copy: block-average down, then bilinear to the exact size."""
    factor = min(grey.shape) // side
    if factor >= 2:
        h, w = (grey.shape[0] // factor) * factor, (grey.shape[1] // factor) * factor
        grey = grey[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    ys = np.clip((np.arange(side) + 0.5) * grey.shape[0] / side - 0.5, 0, grey.shape[0] - 1)
    xs = np.clip((np.arange(side) + 0.5) * grey.shape[1] / side - 0.5, 0, grey.shape[1] - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, grey.shape[0] - 1), np.minimum(x0 + 1, grey.shape[1] - 1)
    wy, wx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = grey[y0][:, x0] * (1 - wx) + grey[y0][:, x1] * wx
    bottom = grey[y1][:, x0] * (1 - wx) + grey[y1][:, x1] * wx
    return top * (1 - wy) + bottom * wy


def sharpness(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of the face resampled to SHARPNESS_SIDE_PX."""
    g = resample(np.asarray(grey, dtype=np.float64), SHARPNESS_SIDE_PX)
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def assess_quality(pixels: np.ndarray, box: Box, landmarks: np.ndarray, *, policy: QualityPolicy) -> Quality:
    """Measure one face and flag what fails ``policy``."""
    grey = face_grey(pixels, box)
    inter_eye = inter_eye_distance(landmarks)
    sharp = sharpness(grey)
    bright = float(grey.mean())
    yaw, pitch = head_pose(landmarks)
    flags = []
    if inter_eye < policy.min_inter_eye_px:
        flags.append("face_too_small")
    if sharp < policy.min_sharpness:
        flags.append("blurry")
    if bright < policy.min_brightness:
        flags.append("underexposed")
    if bright > policy.max_brightness:
        flags.append("overexposed")
    if abs(yaw) > policy.max_abs_yaw_deg or abs(pitch) > policy.max_abs_pitch_deg:
        flags.append("not_frontal")
    return Quality(
        inter_eye_px=round(inter_eye, 2),
        sharpness=round(sharp, 2),
        brightness=round(bright, 2),
        yaw_deg=round(yaw, 1),
        pitch_deg=round(pitch, 1),
        flags=tuple(flags),
    )
