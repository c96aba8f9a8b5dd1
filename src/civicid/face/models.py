"""Frozen results of the face pipeline: load → locate → landmarks → quality → embed → compare."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True, eq=False)
class DecodedImage:
    """An 8-bit RGB image, EXIF orientation applied. ``pixels`` is read-only, shape (H, W, 3)."""

    pixels: np.ndarray
    format: str

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class QualityPolicy:
    """Thresholds a probe face must meet. Values come from settings."""

    min_inter_eye_px: float = 28.0
    min_sharpness: float = 15.0
    min_brightness: float = 50.0
    max_brightness: float = 210.0
    max_abs_yaw_deg: float = 25.0
    max_abs_pitch_deg: float = 25.0


@dataclass(frozen=True, slots=True)
class Quality:
    """Measured quality of one face, as numbers plus flags (empty flags = acceptable)."""

    inter_eye_px: float
    sharpness: float
    brightness: float
    yaw_deg: float
    pitch_deg: float
    flags: tuple[str, ...] = ()

    @property
    def acceptable(self) -> bool:
        return not self.flags


@dataclass(frozen=True, slots=True, eq=False)
class Face:
    """One located face. ``landmarks`` is (68, 2) float32 in image pixels; ``embedding`` is
    the 128-d descriptor (float32) or None when not computed."""

    box: Box
    landmarks: np.ndarray
    quality: Quality
    embedding: np.ndarray | None = field(default=None)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of a 1:1 comparison, with the threshold that decided it."""

    distance: float
    threshold: float
    match: bool
