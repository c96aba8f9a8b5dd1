"""The face engine replaced at its boundary: the real engine's answers, replayed.

``ReplayEngine`` implements the ``FaceEngine`` Protocol (``detect``, ``detect_near``, ``embed``).
While recording it asks the service's engine (CIVICID_FACE_ENGINE) and keeps each answer by the
image's pixels; once frozen it gives the kept answers back without any face work. Everything
around the engine — JPEG decoding, frame quality, the liveness decision over the landmarks, the
1:1 comparison and every database write — still runs for real. An image the recording did not
see is computed by the real engine and counted (``misses``) so a bench can report it.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from civicid.face.models import DecodedImage, Face


def _key(image: DecodedImage) -> str:
    """Every 8th pixel of every 8th row, hashed: distinct frames differ there, and hashing the
    whole frame (0.9 MB) cost more than the decoding around it."""
    pixels = image.pixels
    sample = pixels[::8, ::8].tobytes()
    return f"{pixels.shape}:" + hashlib.blake2b(sample, digest_size=16).hexdigest()


class ReplayEngine:
    def __init__(self, engine) -> None:
        self._engine = engine
        self.name = f"replay of {engine.name}"
        self.threshold = engine.threshold
        self._detected: dict[str, tuple[Face, ...]] = {}
        self._near: dict[tuple, tuple[Face, ...]] = {}
        self._embedded: dict[tuple, tuple[Face, ...]] = {}
        self._images: dict[str, DecodedImage] = {}  # while recording
        self.frozen = False
        self.calls = 0
        self.misses = 0

    def freeze(self) -> None:
        self.complete()
        self.frozen = True
        self._images.clear()

    def _answer(self, store: dict, key, compute):
        self.calls += 1
        if key not in store:
            if self.frozen:
                self.misses += 1
            store[key] = compute()
        return store[key]

    def _seen(self, image: DecodedImage) -> str:
        key = _key(image)
        if not self.frozen:
            self._images.setdefault(key, image)
        return key

    def detect(self, image: DecodedImage) -> tuple[Face, ...]:
        return self._answer(self._detected, self._seen(image), lambda: self._engine.detect(image))

    def detect_near(self, image: DecodedImage, near, *, face_px: int = 100) -> tuple[Face, ...]:
        return self._answer(self._near, (self._seen(image), near, face_px),
                            lambda: self._engine.detect_near(image, near, face_px=face_px))

    def embed(self, image: DecodedImage, faces: Sequence[Face]) -> tuple[Face, ...]:
        return self._answer(self._embedded, (self._seen(image), tuple(face.box for face in faces)),
                            lambda: self._engine.embed(image, faces))

    def complete(self) -> None:
        """Embed, one by one, every face any recorded detection found (a stream embeds a random
        subset of its frames' faces, one face per call)."""
        for image_key, faces in [(k, f) for k, f in self._detected.items()] + [
                (k[0], f) for k, f in self._near.items()]:
            for face in faces:
                key = (image_key, (face.box,))
                if key not in self._embedded and image_key in self._images:
                    self._embedded[key] = self._engine.embed(self._images[image_key], [face])

    def record_all(self, images: Sequence[DecodedImage]) -> None:
        """Detect and embed every face of ``images`` (the random subset a stream embeds varies)."""
        for image in images:
            faces = self.detect(image)
            if faces:
                self.embed(image, faces)
                for face in faces:
                    self.embed(image, [face])
