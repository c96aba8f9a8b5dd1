"""The real face engine for tests, with results memoised by image content.

Tests that run on both databases send the same frames twice; the engine is deterministic, so
the second run reuses the first run's faces instead of redoing seconds of CPU work.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from civicid.face.dlib_engine import DlibFaceEngine
from civicid.face.models import DecodedImage, Face


def _key(image: DecodedImage) -> str:
    return hashlib.sha256(image.pixels.tobytes()).hexdigest()


class CachingEngine:
    def __init__(self, engine: DlibFaceEngine) -> None:
        self._engine = engine
        self.name = engine.name
        self.threshold = engine.threshold
        self._near: dict[tuple[str, object], tuple[Face, ...]] = {}
        self._detected: dict[str, tuple[Face, ...]] = {}
        self._embedded: dict[tuple[str, tuple], tuple[Face, ...]] = {}

    def detect(self, image: DecodedImage) -> tuple[Face, ...]:
        key = _key(image)
        if key not in self._detected:
            self._detected[key] = self._engine.detect(image)
        return self._detected[key]

    def detect_near(self, image: DecodedImage, near, *, face_px: int = 100) -> tuple[Face, ...]:
        key = (_key(image), near)
        if key not in self._near:
            self._near[key] = self._engine.detect_near(image, near, face_px=face_px)
        return self._near[key]

    def embed(self, image: DecodedImage, faces: Sequence[Face]) -> tuple[Face, ...]:
        key = (_key(image), tuple(face.box for face in faces))
        if key not in self._embedded:
            self._embedded[key] = self._engine.embed(image, faces)
        return self._embedded[key]
