"""Passive presentation-attack detection (PAD): is this face a live person or a screen or print?

The model is MiniFASNet-like (``fr_liveness.onnx``, :data:`civicid.face.manifest.FR_LIVENESS`):
a crop 2.7 times the face box, 128x128, BGR, raw 0-255 values; three classes, class 0 = live.
Its scores drop on turned heads, so only near-frontal frames are scored (the caller chooses
them). One frame is weak evidence; the decision takes the median over several frames.
Terms follow ISO/IEC 30107-3 (APCER, BPCER); measured figures: docs/liveness.md.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from civicid.face.align import context_crop
from civicid.face.inference import Network, load_network
from civicid.face.manifest import FR_LIVENESS, ModelSpec
from civicid.face.model_store import model_path
from civicid.face.models import DecodedImage, Face

CROP_SCALE = 2.7
LIVE_CLASS = 0


@dataclass(frozen=True, slots=True)
class PadPolicy:
    """``threshold``: the median live score of the scored frames must reach it;
    ``min_frames``: fewer scored frames than this is no evidence (``liveness.pad_unverified``).

    0.3 sits inside the range where the six shared clips give no error (0.1-0.6: replay medians
    <= 0.0003, genuine medians >= 0.61, ``civicid face pad-eval``, docs/liveness.md), nearer the
    genuine side's thin margin than the attacks' wide one: six clips cannot calibrate it."""

    threshold: float = 0.3
    min_frames: int = 3


@dataclass(frozen=True, slots=True)
class PadResult:
    scores: tuple[float, ...]
    median: float | None
    passed: bool
    reason: str | None


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def decide(scores: Sequence[float], *, policy: PadPolicy = PadPolicy()) -> PadResult:
    """The PAD decision over per-frame live scores (reasons: liveness.pad_unverified,
    liveness.presentation_attack)."""
    values = tuple(round(float(s), 4) for s in scores)
    if len(values) < policy.min_frames:
        return PadResult(values, None, False, "liveness.pad_unverified")
    median = float(np.median(values))
    if median < policy.threshold:
        return PadResult(values, round(median, 4), False, "liveness.presentation_attack")
    return PadResult(values, round(median, 4), True, None)


class PresentationAttackDetector:
    """Scores faces with the pinned PAD network (loaded on first use, thread-safe)."""

    def __init__(self, *, model_dir: Path, spec: ModelSpec = FR_LIVENESS) -> None:
        self.spec = spec
        self._model_dir = model_dir
        self._network: Network | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        self.network()

    def network(self) -> Network:
        with self._lock:
            if self._network is None:
                self._network = load_network(self.spec, model_path(self.spec, self._model_dir))
            return self._network

    def live_scores(self, items: Sequence[tuple[DecodedImage, Face]]) -> np.ndarray:
        """P(live) of each (image, face), in order."""
        if not items:
            return np.empty(0, dtype=np.float32)
        crops = np.stack([context_crop(image.pixels, face.box, scale=CROP_SCALE, size=self.spec.input_size)
                          for image, face in items])
        return softmax(self.network().run(crops))[:, LIVE_CLASS]
