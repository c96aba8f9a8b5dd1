"""Choosing the face to use from the faces found in an image."""

from __future__ import annotations

from typing import Sequence

from civicid.face.decode import decode_image
from civicid.face.errors import FaceNotFound, MultipleFaces
from civicid.face.interfaces import FaceEngine
from civicid.face.models import DecodedImage, Face


def single_face(faces: Sequence[Face]) -> Face:
    """The one face of a probe. A probe with no face or several faces is refused."""
    if not faces:
        raise FaceNotFound()
    if len(faces) > 1:
        raise MultipleFaces(count=len(faces))
    return faces[0]


def primary_face(faces: Sequence[Face], image: DecodedImage) -> Face:
    """The subject of a dataset photo: the largest face, preferring the most central.

    Score = box area x (1 - d/2), d the distance of the box centre from the image centre
    in units of half the image diagonal, so a background face must be clearly larger to win.
    """
    if not faces:
        raise FaceNotFound()
    cx, cy = image.width / 2, image.height / 2
    half_diagonal = max((cx**2 + cy**2) ** 0.5, 1.0)

    def score(face: Face) -> float:
        box = face.box
        fx, fy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
        d = min(((fx - cx) ** 2 + (fy - cy) ** 2) ** 0.5 / half_diagonal, 1.0)
        return box.width * box.height * (1 - d / 2)

    return max(faces, key=score)


def encode_probe(engine: FaceEngine, data: bytes, *, max_bytes: int, max_pixels: int) -> Face:
    """Decode untrusted bytes, require exactly one face, and return it with its embedding."""
    image = decode_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    face = single_face(engine.detect(image))
    (face,) = engine.embed(image, [face])
    return face
