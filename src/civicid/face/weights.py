"""The dlib model files, loaded lazily, once, under a lock.

The weights ship inside the ``face_recognition_models`` package; nothing is fetched from the
network. Loading takes about two seconds, so it happens on first use (not at import) and a
:class:`LazyModels` holder guarantees it happens once per holder even when several threads ask
at the same moment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicid.face.errors import ModelUnavailable


@dataclass(frozen=True, slots=True)
class ModelFiles:
    shape_68: Path
    shape_5: Path
    embedding: Path
    cnn_detector: Path


@dataclass(frozen=True, slots=True)
class DlibModels:
    """Loaded dlib objects. ``encoder`` and ``cnn_detector`` are None unless they were asked for."""

    hog_detector: Any
    shape_68: Any
    shape_5: Any
    encoder: Any | None
    cnn_detector: Any | None


def model_files() -> ModelFiles:
    """Where face_recognition_models installed its weights. Raises ModelUnavailable."""
    try:
        import face_recognition_models as frm
    except ImportError as exc:
        raise ModelUnavailable("The face_recognition_models package is not installed.") from exc
    return ModelFiles(
        shape_68=Path(frm.pose_predictor_model_location()),
        shape_5=Path(frm.pose_predictor_five_point_model_location()),
        embedding=Path(frm.face_recognition_model_location()),
        cnn_detector=Path(frm.cnn_face_detector_model_location()),
    )


def load_models(files: ModelFiles, *, cnn: bool, encoder: bool = True) -> DlibModels:
    """Read the weights from disk (the ResNet encoder only when ``encoder``). Raises
    ModelUnavailable when a file is missing or bad."""
    try:
        import dlib
    except ImportError as exc:
        raise ModelUnavailable("dlib is not installed.") from exc
    needed = [files.shape_68, files.shape_5] + ([files.embedding] if encoder else []) + ([files.cnn_detector] if cnn else [])
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise ModelUnavailable("Face model files are missing.", missing=missing)
    try:
        return DlibModels(
            hog_detector=dlib.get_frontal_face_detector(),
            shape_68=dlib.shape_predictor(str(files.shape_68)),
            shape_5=dlib.shape_predictor(str(files.shape_5)),
            encoder=dlib.face_recognition_model_v1(str(files.embedding)) if encoder else None,
            cnn_detector=dlib.cnn_face_detection_model_v1(str(files.cnn_detector)) if cnn else None,
        )
    except RuntimeError as exc:  # dlib's deserialisation errors
        raise ModelUnavailable(f"A face model file could not be read: {exc}") from exc


class LazyModels:
    """Loads :class:`DlibModels` on the first :meth:`get` and returns the same object after."""

    def __init__(self, *, cnn: bool, encoder: bool = True, files: ModelFiles | None = None) -> None:
        self._cnn = cnn
        self._encoder = encoder
        self._files = files
        self._models: DlibModels | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._models is not None

    def get(self) -> DlibModels:
        models = self._models
        if models is not None:
            return models
        with self._lock:
            if self._models is None:
                self._models = load_models(self._files or model_files(), cnn=self._cnn, encoder=self._encoder)
            return self._models
