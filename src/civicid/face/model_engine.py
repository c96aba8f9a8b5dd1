"""A :class:`~civicid.face.interfaces.FaceEngine` around an ArcFace-style embedding network.

Detection and the 68 landmarks stay dlib's (HOG + the 300-W shape predictor, the same for every
embedding model, so models compare on equal terms); each face is aligned with five points onto
the ArcFace template (:mod:`civicid.face.align`), embedded together with its mirror image (the
two averaged: MobileFaceNet's fixed batch of 2 makes the mirror free) and L2-normalised, so the
Euclidean distance of two embeddings is sqrt(2 - 2 cos).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from civicid.face.align import aligned_chip
from civicid.face.dlib_engine import DlibFaceEngine, EngineOptions
from civicid.face.inference import Network, load_network
from civicid.face.manifest import ModelSpec
from civicid.face.model_store import model_path
from civicid.face.models import Box, DecodedImage, Face, QualityPolicy


def normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class ModelFaceEngine:
    """dlib detection and landmarks + a pinned embedding network (see module docstring)."""

    def __init__(
        self,
        *,
        model: ModelSpec,
        model_dir: Path,
        detection: EngineOptions = EngineOptions(cnn_fallback=False),
        flip: bool | None = None,
        quality_policy: QualityPolicy = QualityPolicy(),
        threshold: float | None = None,
    ) -> None:
        if model.threshold is None and threshold is None:
            raise ValueError(f"{model.name} has no calibrated threshold; pass one")
        self.name = model.name
        self.spec = model
        self.threshold = float(threshold if threshold is not None else model.threshold)
        self.flip = model.flip if flip is None else flip
        self.quality_policy = quality_policy
        self._model_dir = model_dir
        self.detector_options = detection
        self._detector = DlibFaceEngine.from_options(detection, quality_policy=quality_policy, load_encoder=False)
        self._network: Network | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load dlib's detector and the network now (e.g. in an app's lifespan)."""
        self._detector.load()
        self.network()

    def network(self) -> Network:
        with self._lock:
            if self._network is None:
                self._network = load_network(self.spec, model_path(self.spec, self._model_dir))
            return self._network

    # -- FaceEngine ---------------------------------------------------------------------------

    def detect(self, image: DecodedImage) -> tuple[Face, ...]:
        return self._detector.detect(image)

    def detect_near(self, image: DecodedImage, near: Box, *, face_px: int = 100) -> tuple[Face, ...]:
        return self._detector.detect_near(image, near, face_px=face_px)

    def embed(self, image: DecodedImage, faces: Sequence[Face]) -> tuple[Face, ...]:
        if not faces:
            return ()
        chips = [aligned_chip(image.pixels, face.landmarks, size=self.spec.input_size) for face in faces]
        vectors = self.embed_chips(chips)
        return tuple(replace(face, embedding=vector) for face, vector in zip(faces, vectors))

    def embed_chips(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings (N, D), L2-normalised, of aligned RGB chips; each averaged with its mirror
        when ``flip``. Many chips in one call share the network's batches."""
        batch = np.stack(chips)
        if not self.flip:
            return normalised(self.network().run(batch))
        # Interleaved chip, mirror, chip, mirror: a fixed batch of 2 takes each pair in one call.
        pairs = np.stack([batch, batch[:, :, ::-1]], axis=1).reshape(-1, *batch.shape[1:])
        outputs = normalised(self.network().run(pairs)).reshape(len(chips), 2, -1)
        return normalised(outputs.sum(axis=1))
