"""The swappable part of the face pipeline."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from civicid.face.models import DecodedImage, Face


@runtime_checkable
class FaceEngine(Protocol):
    """Locates faces and turns them into embeddings compared by Euclidean distance.

    The dlib engine is the default; a stronger model (e.g. an ONNX ArcFace-class network) can be
    plugged in by implementing this Protocol and measured with ``civicid face eval``.
    """

    name: str

    def detect(self, image: DecodedImage) -> tuple[Face, ...]:
        """Every face in the image with 68 landmarks and quality, without embeddings."""
        ...

    def embed(self, image: DecodedImage, faces: Sequence[Face]) -> tuple[Face, ...]:
        """The same faces with ``embedding`` filled in."""
        ...
