"""The default :class:`~civicid.face.interfaces.FaceEngine`: dlib HOG (or MMOD CNN) detection,
68-point landmarks, dlib face-chip alignment and the 128-d ``dlib_face_recognition_resnet_model_v1``
embedding. Which options are on by default, and why, is measured in docs/face-threshold.md.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Sequence

import numpy as np
from PIL import Image

from civicid.face.models import Box, DecodedImage, Face, QualityPolicy
from civicid.face.quality import assess_quality
from civicid.face.weights import LazyModels

CHIP_SIZE = 150
CHIP_PADDING = 0.25  # the size and padding the ResNet model was trained with
CNN_FALLBACK_MAX_SIDE = 640
"""The CNN fallback scans at most this long a side (upsampling only images of half of it or
less): on a CPU it costs ~1 s per 0.4 MP, and every image without a face would pay it."""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Pipeline options of :class:`DlibFaceEngine` (picklable, for worker processes).

    detector          "hog" (default) or "cnn" (MMOD; slow on CPU).
    upsample          times the detection image is doubled before HOG/CNN scanning; the
                      HOG window is 80 px, so faces smaller than ~80/2^upsample px are missed.
    upsample_retry    when nothing is found, scan again with one more upsampling.
    detect_max_side   detect on a copy whose longest side is at most this (0 = never shrink);
                      landmarks and embeddings still use the full-resolution image.
    cnn_fallback      when HOG finds nothing, try the CNN detector (within CNN_FALLBACK_MAX_SIDE).
    align_points      5 or 68: which landmark set places the face chip.
    jitter            dlib's random jitter count per chip (0 = none).
    flip              average the embedding of the chip and of its mirror image.
    """

    detector: Literal["hog", "cnn"] = "hog"
    upsample: int = 0
    upsample_retry: bool = True
    detect_max_side: int = 1024
    cnn_fallback: bool = True
    align_points: Literal[5, 68] = 5
    jitter: int = 0
    flip: bool = True


class DlibFaceEngine:
    """dlib implementation of the FaceEngine Protocol.

    Models load on first use (thread-safe). dlib's networks keep per-call state, so calls into
    the models are serialised by a lock; use a process pool (civicid.face.batch) for throughput.
    """

    name = "dlib-resnet-v1"
    threshold = 0.46
    """Calibrated on LFW View 1 all-vs-all at FMR <= 1e-4 (docs/face-threshold.md)."""

    def __init__(
        self,
        *,
        detector: Literal["hog", "cnn"] = "hog",
        upsample: int = 0,
        upsample_retry: bool = True,
        detect_max_side: int = 1024,
        cnn_fallback: bool = True,
        align_points: Literal[5, 68] = 5,
        jitter: int = 0,
        flip: bool = True,
        quality_policy: QualityPolicy = QualityPolicy(),
        load_encoder: bool = True,
    ) -> None:
        if detector not in ("hog", "cnn"):
            raise ValueError(f"unknown detector {detector!r}")
        if align_points not in (5, 68):
            raise ValueError("align_points must be 5 or 68")
        if upsample < 0 or jitter < 0 or detect_max_side < 0:
            raise ValueError("upsample, jitter and detect_max_side must not be negative")
        self.options = EngineOptions(
            detector=detector,
            upsample=upsample,
            upsample_retry=upsample_retry,
            detect_max_side=detect_max_side,
            cnn_fallback=cnn_fallback,
            align_points=align_points,
            jitter=jitter,
            flip=flip,
        )
        self.quality_policy = quality_policy
        self._models = LazyModels(cnn=detector == "cnn" or cnn_fallback, encoder=load_encoder)
        self._lock = threading.Lock()

    @classmethod
    def from_options(cls, options: EngineOptions, *, quality_policy: QualityPolicy = QualityPolicy(),
                     load_encoder: bool = True) -> "DlibFaceEngine":
        return cls(**asdict(options), quality_policy=quality_policy, load_encoder=load_encoder)

    def load(self) -> None:
        """Load the models now (e.g. in an app's lifespan) instead of on the first image."""
        self._models.get()

    # -- FaceEngine ---------------------------------------------------------------------------

    def detect(self, image: DecodedImage) -> tuple[Face, ...]:
        models = self._models.get()
        with self._lock:
            rects = self._locate(models, image.pixels)
        return self._faces(models, image.pixels, rects)

    def detect_near(self, image: DecodedImage, near: Box, *, face_px: int = 100) -> tuple[Face, ...]:
        """Faces in the region around ``near`` (a face box of the previous frame, grown by half its
        width on every side), HOG running on that region scaled so the face is about ``face_px``
        wide: a fraction of a whole-frame scan on a 640x480 stream. Empty when the face left it."""
        models = self._models.get()
        pixels = image.pixels
        height, width = pixels.shape[:2]
        margin = near.width // 2
        left, top = max(0, near.left - margin), max(0, near.top - margin)
        right, bottom = min(width, near.right + margin), min(height, near.bottom + margin)
        if right - left < 8 or bottom - top < 8:
            return ()
        region, scale = _shrunk(np.ascontiguousarray(pixels[top:bottom, left:right]),
                                max(1, round(max(right - left, bottom - top) * face_px / max(near.width, 1))))
        with self._lock:
            rects = _scan(models.hog_detector, region, 0 if near.width * scale >= 80 else 1)
        import dlib

        rects = [_scaled(rect, 1 / scale) for rect in rects]
        rects = [dlib.rectangle(r.left() + left, r.top() + top, r.right() + left, r.bottom() + top) for r in rects]
        return self._faces(models, pixels, rects)

    def _faces(self, models: Any, pixels: np.ndarray, rects: list[Any]) -> tuple[Face, ...]:
        with self._lock:
            placed = [_landmarks_68(models.shape_68, pixels, rect) for rect in rects]
        faces = []
        for rect, landmarks in zip(rects, placed):
            box = Box(left=rect.left(), top=rect.top(), right=rect.right() + 1, bottom=rect.bottom() + 1)
            quality = assess_quality(pixels, box, landmarks, policy=self.quality_policy)
            faces.append(Face(box=box, landmarks=landmarks, quality=quality))
        return tuple(faces)

    def embed(self, image: DecodedImage, faces: Sequence[Face]) -> tuple[Face, ...]:
        if not faces:
            return ()
        import dlib

        models = self._models.get()
        pixels = image.pixels
        options = self.options
        with self._lock:
            shapes = []
            for face in faces:
                rect = _rectangle(face.box)
                if options.align_points == 5:
                    shapes.append(models.shape_5(pixels, rect))
                else:
                    points = [dlib.point(int(x), int(y)) for x, y in face.landmarks]
                    shapes.append(dlib.full_object_detection(rect, points))
            chips = list(dlib.get_face_chips(pixels, dlib.full_object_detections(shapes), size=CHIP_SIZE, padding=CHIP_PADDING))
            if options.flip:
                chips += [np.ascontiguousarray(chip[:, ::-1]) for chip in chips]
            vectors = np.array(models.encoder.compute_face_descriptor(chips, options.jitter), dtype=np.float32)
        if options.flip:
            vectors = (vectors[: len(faces)] + vectors[len(faces) :]) / 2
        return tuple(replace(face, embedding=vector) for face, vector in zip(faces, vectors))

    # -- detection ----------------------------------------------------------------------------

    def _locate(self, models: Any, pixels: np.ndarray) -> list[Any]:
        options = self.options
        work, scale = _shrunk(pixels, options.detect_max_side)
        primary = models.cnn_detector if options.detector == "cnn" else models.hog_detector
        rects = _scan(primary, work, options.upsample)
        if not rects and options.upsample_retry:
            rects = _scan(primary, work, options.upsample + 1)
        if not rects and options.cnn_fallback and options.detector == "hog":
            small, extra = _shrunk(work, CNN_FALLBACK_MAX_SIDE)
            upsample = 1 if 2 * max(small.shape[:2]) <= CNN_FALLBACK_MAX_SIDE else 0
            rects = [_scaled(rect, 1 / extra) for rect in _scan(models.cnn_detector, small, upsample)]
        return [_scaled(rect, 1 / scale) for rect in rects]


def _shrunk(pixels: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """A copy whose longest side is at most ``max_side`` (0 = no limit), and its scale."""
    height, width = pixels.shape[:2]
    if not max_side or max(height, width) <= max_side:
        return pixels, 1.0
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)), scale


def _scan(detector: Any, pixels: np.ndarray, upsample: int) -> list[Any]:
    found = detector(pixels, upsample)
    # The CNN detector returns mmod_rectangles (with .rect and .confidence).
    return [getattr(item, "rect", item) for item in found]


def _scaled(rect: Any, factor: float) -> Any:
    if factor == 1.0:
        return rect
    import dlib

    return dlib.rectangle(
        round(rect.left() * factor), round(rect.top() * factor), round(rect.right() * factor), round(rect.bottom() * factor)
    )


def _landmarks_68(predictor: Any, pixels: np.ndarray, rect: Any) -> np.ndarray:
    """The 68 points of the face in ``rect``, predicted on a crop of the face and its surroundings
    (the predictor only reads pixels near the box; handing it the whole frame costs a copy of it)."""
    import dlib

    height, width = pixels.shape[:2]
    pad = max(rect.width(), rect.height())
    left, top = max(0, rect.left() - pad), max(0, rect.top() - pad)
    right, bottom = min(width, rect.right() + pad + 1), min(height, rect.bottom() + pad + 1)
    crop = np.ascontiguousarray(pixels[top:bottom, left:right])
    shape = predictor(crop, dlib.rectangle(rect.left() - left, rect.top() - top, rect.right() - left, rect.bottom() - top))
    return np.array([(p.x + left, p.y + top) for p in shape.parts()], dtype=np.float32)


def _rectangle(box: Box) -> Any:
    import dlib

    return dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
