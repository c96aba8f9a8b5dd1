"""Five-point similarity alignment onto the ArcFace 112x112 template, and face crops for PAD.

The five points are taken from the 300-W 68 landmarks: the centres of the eyes (36-41, 42-47),
the nose tip (30) and the mouth corners (48, 54), in image left-to-right order, matching the
template of insightface's ``utils/face_align.py`` (``arcface_dst``). The transform is the least
squares similarity of Umeyama, "Least-squares estimation of transformation parameters between two
point patterns", IEEE PAMI 13(4), 1991.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from civicid.face.models import Box

ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def five_points(landmarks: np.ndarray) -> np.ndarray:
    """(5, 2): left eye centre, right eye centre, nose tip, left and right mouth corners."""
    points = np.asarray(landmarks, dtype=np.float64)
    return np.stack([points[36:42].mean(axis=0), points[42:48].mean(axis=0), points[30], points[48], points[54]])


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 matrix of the similarity (rotation, uniform scale, translation) that maps
    ``source`` points closest to ``target`` in least squares (Umeyama 1991, eq. 40-42)."""
    src = np.asarray(source, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(covariance)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1
    rotation = u @ np.diag(d) @ vt
    variance = (src_c**2).sum() / len(src)
    scale = (s * d).sum() / variance if variance > 0 else 1.0
    translation = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, translation[:, None]])


def aligned_chip(pixels: np.ndarray, landmarks: np.ndarray, *, size: int = 112) -> np.ndarray:
    """The face warped onto the template scaled to ``size`` (RGB uint8, size x size x 3)."""
    matrix = similarity(five_points(landmarks), ARCFACE_TEMPLATE_112 * (size / 112.0))
    inverse = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]  # PIL maps output -> input
    chip = Image.fromarray(pixels).transform((size, size), Image.Transform.AFFINE, inverse.ravel().tolist(),
                                             resample=Image.Resampling.BILINEAR)
    return np.asarray(chip)


def context_crop(pixels: np.ndarray, box: Box, *, scale: float, size: int) -> np.ndarray:
    """A square-ish crop ``scale`` times the face box around its centre, shifted (not cut) to stay
    inside the image and shrunk when the image is too small, resized to ``size`` x ``size``. This
    is the crop the MiniFASNet family of presentation-attack models was trained on."""
    height, width = pixels.shape[:2]
    scale = min((height - 1) / max(box.height, 1), (width - 1) / max(box.width, 1), scale)
    new_w, new_h = box.width * scale, box.height * scale
    cx, cy = box.left + box.width / 2, box.top + box.height / 2
    left, top = cx - new_w / 2, cy - new_h / 2
    left = min(max(left, 0.0), width - 1 - new_w)
    top = min(max(top, 0.0), height - 1 - new_h)
    crop = Image.fromarray(pixels).crop((int(left), int(top), int(left + new_w), int(top + new_h)))
    return np.asarray(crop.resize((size, size), Image.Resampling.BILINEAR))
