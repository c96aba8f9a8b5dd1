"""Synthetic 68-point faces and frame sequences for the liveness tests.

A generic head in the units of the engine's pose model (civicid.face.quality: x to image-right,
y up, z toward the camera, nose tip at the origin) is rotated about its vertical axis and
projected orthographically, so the yaw the engine reads back is the yaw put in, and the eye
aspect ratio is set directly by the eyelid opening. Sequences are described in
tests/vectors/liveness/*.json as segments (duration, yaw, EAR, person, ...).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from civicid.face.liveness import FrameObservation

VECTORS = Path(__file__).parents[2] / "vectors" / "liveness"
EYE_WIDTH = 150.0  # outer to inner corner, model units
_SCALE = 0.2  # model units to pixels: about 60 px between the eyes
_CENTRE = np.array([320.0, 240.0])
_PIVOT_Z = -300.0  # the head turns about a vertical axis this far behind the nose tip


def _head(ear: float) -> np.ndarray:
    """(68, 3) model points with both eyes at eye aspect ratio ``ear`` when frontal."""
    lid = ear * EYE_WIDTH / 2  # EAR = (2 * 2 lid) / (2 * width)
    points = np.zeros((68, 3))
    for k in range(17):  # jaw, from the image-left temple round the chin to the image-right one
        phi = math.pi * k / 16
        points[k] = (-300 * math.cos(phi), 170 - 500 * math.sin(phi), -65 - 335 * math.cos(phi) ** 2)
    for k in range(5):  # eyebrows
        points[17 + k] = (-300 + 60 * k, 250 + 20 * math.sin(math.pi * k / 4), -120)
        points[22 + k] = (60 + 60 * k, 250 + 20 * math.sin(math.pi * (4 - k) / 4), -120)
    for k, (y, z) in enumerate([(170, -120), (110, -80), (55, -40), (0, 0)]):  # bridge to tip
        points[27 + k] = (0, y, z)
    for k in range(5):  # nostrils
        points[31 + k] = (-60 + 30 * k, -40, -60 + 20 * (2 - abs(2 - k)))
    for side, (outer, inner) in ((-1, (36, 39)), (1, (45, 42))):
        x_outer, x_inner = side * 225, side * 75
        points[outer] = (x_outer, 170, -135)
        points[inner] = (x_inner, 170, -120)
        a = x_outer + (x_inner - x_outer) / 3
        b = x_outer + 2 * (x_inner - x_outer) / 3
        upper, lower = ((37, 38), (41, 40)) if side < 0 else ((44, 43), (46, 47))
        points[upper[0]], points[upper[1]] = (a, 170 + lid, -128), (b, 170 + lid, -124)
        points[lower[0]], points[lower[1]] = (a, 170 - lid, -128), (b, 170 - lid, -124)
    mouth = [(-150, -150), (-100, -120), (-40, -110), (0, -115), (40, -110), (100, -120),
             (150, -150), (100, -180), (40, -195), (0, -198), (-40, -195), (-100, -180)]
    for k, (x, y) in enumerate(mouth):
        points[48 + k] = (x, y, -125 + 40 * (1 - abs(x) / 150))
    inner = [(-130, -150), (-40, -135), (0, -138), (40, -135), (130, -150), (40, -160), (0, -162), (-40, -160)]
    for k, (x, y) in enumerate(inner):
        points[60 + k] = (x, y, -110 + 30 * (1 - abs(x) / 130))
    return points


def face_landmarks(*, yaw_deg: float = 0.0, ear: float = 0.3, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """(68, 2) float32 image landmarks of the generic head turned by ``yaw_deg`` (positive: nose
    toward image-right)."""
    points = _head(ear)
    a = math.radians(yaw_deg)
    x, z = points[:, 0], points[:, 2] - _PIVOT_Z
    turned_x = x * math.cos(a) + z * math.sin(a)
    image = np.stack([turned_x, -points[:, 1]], axis=1) * _SCALE + _CENTRE + np.asarray(shift)
    return image.astype(np.float32)


def person_embedding(person: str) -> np.ndarray:
    """A fixed unit vector per person name; two names are about 1.4 apart."""
    rng = np.random.default_rng(sum(map(ord, person)) * 7919)
    vector = rng.normal(size=128)
    return vector / np.linalg.norm(vector)


def build_sequence(spec: dict[str, Any]) -> list[FrameObservation]:
    """Frames at ``spec["fps"]`` through ``spec["segments"]``, each segment holding ``ms`` of
    {yaw, ear, person, sharpness, face, jitter_px} (missing keys keep the previous values)."""
    rng = np.random.default_rng(spec.get("seed", 0))
    state: dict[str, Any] = {"yaw": 0.0, "ear": 0.3, "person": "a", "sharpness": 50.0, "face": True,
                             "jitter_px": 1.5, "embedding_noise": 0.05}
    frames: list[FrameObservation] = []
    fps = float(spec.get("fps", 15.0))
    k = 0
    end = 0.0
    for segment in spec["segments"]:
        state.update({key: value for key, value in segment.items() if key != "ms"})
        end += segment["ms"]
        # Frame k is taken at k * 1000 / fps ms (computed afresh, so no rounding drift) and
        # belongs to the segment during which it is taken.
        while k * 1000.0 / fps < end - 1e-6:
            frames.append(_frame(round(k * 1000.0 / fps), state, rng))
            k += 1
    return frames


def _frame(t_ms: int, state: dict[str, Any], rng: np.random.Generator) -> FrameObservation:
    if not state["face"]:
        return FrameObservation(t_ms=t_ms)
    landmarks = face_landmarks(yaw_deg=state["yaw"], ear=state["ear"])
    if state["jitter_px"]:
        landmarks = landmarks + rng.normal(0, state["jitter_px"], size=2).astype(np.float32)
    embedding = None
    if state["person"] is not None:
        noise = rng.normal(size=128) * state["embedding_noise"] / math.sqrt(128)
        embedding = (person_embedding(state["person"]) + noise).astype(np.float32)
    return FrameObservation(t_ms=t_ms, landmarks=landmarks, embedding=embedding, sharpness=state["sharpness"])


def load_cases() -> list[dict[str, Any]]:
    """Every case of the vector files that describe sequences, with its sequence spec resolved."""
    cases = []
    for path in sorted(VECTORS.glob("*.json")):
        document = json.loads(path.read_text())
        if "sequences" not in document:
            continue
        for case in document["cases"]:
            cases.append({**case, "spec": document["sequences"][case["sequence"]], "file": path.name})
    return cases


def shifted(frames: Sequence[FrameObservation], offset_ms: int) -> list[FrameObservation]:
    """The same frames taken ``offset_ms`` later (a capture that does not start at t = 0)."""
    return [replace(frame, t_ms=frame.t_ms + offset_ms) for frame in frames]


def with_embeddings(
    frames: Sequence[FrameObservation], embeddings: Mapping[int, np.ndarray | None]
) -> list[FrameObservation]:
    """Copies of ``frames`` with the embedding of frame i replaced by ``embeddings[i]``."""
    return [replace(frame, embedding=embeddings[i]) if i in embeddings else frame for i, frame in enumerate(frames)]


def pin_yaw(frame: FrameObservation, yaw_deg: float) -> FrameObservation:
    """A copy of ``frame`` whose yaw reads exactly ``yaw_deg``, so a limit can be tested at its value.

    The pose fit reads the synthetic head back within 1e-4° of the yaw it was built at (11.99999°
    for 12°), never exactly; the decision reads yaw only through ``yaw_deg``. The frame must already
    be built near ``yaw_deg`` (within 0.2°), so its landmarks still agree with the yaw it reports.
    """
    if frame.yaw_deg is None or abs(frame.yaw_deg - yaw_deg) > 0.2:
        raise ValueError(f"frame at {frame.yaw_deg}° cannot be pinned to {yaw_deg}°")
    copy = replace(frame)
    object.__setattr__(copy, "yaw_deg", float(yaw_deg))
    return copy
