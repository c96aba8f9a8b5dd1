"""Choosing a face engine by name: the one place that maps a setting to an engine.

``dlib`` is the 2017 dlib ResNet (kept for comparison); the others are networks of the manifest
(:mod:`civicid.face.manifest`); ``custom`` is an operator's ArcFace-style ONNX model.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path
from typing import Callable

from civicid.face.dlib_engine import DlibFaceEngine, EngineOptions
from civicid.face.interfaces import FaceEngine
from civicid.face.manifest import EMBEDDING_MODELS, ModelSpec
from civicid.face.model_engine import ModelFaceEngine
from civicid.face.models import QualityPolicy

ENGINE_NAMES = ("dlib", *EMBEDDING_MODELS, "custom")


def engine_factory(
    name: str,
    *,
    model_dir: Path,
    detection: EngineOptions = EngineOptions(),
    quality_policy: QualityPolicy = QualityPolicy(),
    flip: bool | None = None,
    custom: ModelSpec | None = None,
    threshold: float | None = None,
) -> Callable[[], FaceEngine]:
    """A picklable factory of the named engine (for worker processes). ``flip`` None: the
    engine's calibrated default."""
    if name == "dlib":
        return functools.partial(DlibFaceEngine.from_options, replace(detection, flip=detection.flip if flip is None else flip),
                                 quality_policy=quality_policy)
    if name == "custom":
        if custom is None:
            raise ValueError("the custom engine needs CIVICID_FACE_MODEL_PATH")
        spec = custom
    elif name in EMBEDDING_MODELS:
        spec = EMBEDDING_MODELS[name]
    else:
        raise ValueError(f"unknown face engine {name!r}; choose one of {', '.join(ENGINE_NAMES)}")
    return functools.partial(ModelFaceEngine, model=spec, model_dir=model_dir, detection=detection, flip=flip,
                             quality_policy=quality_policy, threshold=threshold)
