"""1:1 comparison of two face embeddings (DESIGN.md principle 3: 1:1 only)."""

from __future__ import annotations

import numpy as np

from civicid.face.models import Comparison


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings of the same engine."""
    left = np.asarray(a, dtype=np.float64).ravel()
    right = np.asarray(b, dtype=np.float64).ravel()
    if left.shape != right.shape:
        raise ValueError(f"embeddings differ in size: {left.shape} vs {right.shape}")
    return float(np.linalg.norm(left - right))


def compare(a: np.ndarray, b: np.ndarray, *, threshold: float) -> Comparison:
    """Match when the distance is at most ``threshold`` (calibrated in docs/face-threshold.md)."""
    d = distance(a, b)
    return Comparison(distance=round(d, 6), threshold=threshold, match=d <= threshold)
