"""The swappable part of the face pipeline."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from civicid.face.models import Box, DecodedImage, Face


@runtime_checkable
class FaceEngine(Protocol):
    """Locates faces and turns them into embeddings compared by Euclidean distance.

    Engines: :mod:`civicid.face.engines` (dlib's ResNet, the pinned networks of the manifest, an
    operator's ONNX model); each is measured with ``civicid face eval``. ``threshold`` is the
    engine's calibrated match distance (docs/face-threshold.md).
    """

    name: str
    threshold: float

    def detect(self, image: DecodedImage) -> tuple[Face, ...]:
        """Every face in the image with 68 landmarks and quality, without embeddings."""
        ...

    def embed(self, image: DecodedImage, faces: Sequence[Face]) -> tuple[Face, ...]:
        """The same faces with ``embedding`` filled in."""
        ...


@runtime_checkable
class TrackingFaceEngine(FaceEngine, Protocol):
    """An engine that can follow a face through a stream cheaply (:mod:`civicid.face.stream`)."""

    def detect_near(self, image: DecodedImage, near: Box, *, face_px: int = 100) -> tuple[Face, ...]:
        """Faces in the region around ``near``, a face box of the previous frame."""
        ...
