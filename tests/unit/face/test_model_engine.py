"""The pinned embedding networks behind FaceEngine: unit-length embeddings that tell people apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from civicid.face.decode import decode_image
from civicid.face.engines import ENGINE_NAMES, engine_factory
from civicid.face.inference import _in_fixed_batches
from civicid.face.interfaces import FaceEngine, TrackingFaceEngine
from civicid.face.probe import encode_probe
from civicid.settings import Settings
from tests.unit.face.conftest import LIMITS

pytestmark = pytest.mark.data


@pytest.fixture(scope="module", params=["fr-feature", "mobilefacenet"])
def model_engine(request):
    engine = engine_factory(request.param, model_dir=Settings().resolved_model_dir)()
    engine.load()
    return engine


def embed(engine, path: Path) -> np.ndarray:
    return encode_probe(engine, path.read_bytes(), **LIMITS).embedding


def test_the_engines_are_face_engines_that_can_track(model_engine) -> None:
    assert isinstance(model_engine, FaceEngine) and isinstance(model_engine, TrackingFaceEngine)
    assert model_engine.threshold == model_engine.spec.threshold


def test_embeddings_have_unit_length_and_the_model_s_dimension(model_engine, faces_dir: Path) -> None:
    vector = embed(model_engine, faces_dir / "images/obama/1.jpg")
    assert vector.shape == (model_engine.spec.dimension,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_the_same_person_is_within_the_threshold_and_another_is_not(model_engine, faces_dir: Path) -> None:
    obama = embed(model_engine, faces_dir / "images/obama/1.jpg")
    same = np.linalg.norm(obama - embed(model_engine, faces_dir / "images/obama/4.jpg"))
    other = np.linalg.norm(obama - embed(model_engine, faces_dir / "images/biden/1.jpg"))
    assert same <= model_engine.threshold < other


def test_detect_near_finds_the_face_found_by_a_whole_frame_scan(model_engine, faces_dir: Path) -> None:
    image = decode_image((faces_dir / "images/obama/1.jpg").read_bytes(), **LIMITS)
    (whole,) = model_engine.detect(image)
    near = model_engine.detect_near(image, whole.box)
    assert len(near) == 1
    assert np.abs(near[0].landmarks - whole.landmarks).max() < 0.15 * whole.box.width


def test_a_fixed_batch_model_gets_padded_batches_and_returns_one_output_per_input() -> None:
    seen = []

    def run(chunk):
        seen.append(len(chunk))
        return chunk.sum(axis=(1, 2, 3), keepdims=False)[:, None]

    inputs = np.arange(5 * 2 * 2 * 1, dtype=np.float32).reshape(5, 2, 2, 1)
    out = _in_fixed_batches(run, inputs, 2)
    assert seen == [2, 2, 2] and out.shape == (5, 1)
    np.testing.assert_array_equal(out[:, 0], inputs.sum(axis=(1, 2, 3)))


def test_every_engine_name_builds_and_an_unknown_one_is_refused() -> None:
    assert set(ENGINE_NAMES) == {"dlib", "fr-feature", "mobilefacenet", "custom"}
    with pytest.raises(ValueError):
        engine_factory("nonesuch", model_dir=Path("/nowhere"))
    with pytest.raises(ValueError):
        engine_factory("custom", model_dir=Path("/nowhere"))


def test_a_custom_engine_needs_its_model_and_a_calibrated_threshold() -> None:
    with pytest.raises(ValueError, match="CIVICID_FACE_MODEL_PATH"):
        Settings(face_engine="custom")
    settings = Settings(face_engine="custom", face_model_path="/models/arcface.onnx", face_threshold=1.1,
                        face_model_channels="BGR")
    assert settings.custom_face_model.channels == "BGR" and settings.threshold_of("custom") == 1.1


def test_an_operator_s_arcface_style_onnx_model_plugs_in_by_configuration(faces_dir: Path) -> None:
    from civicid.face.manifest import FR_FEATURE
    from civicid.face.model_store import model_path
    from civicid.runtime import service_engine

    settings = Settings()
    pinned = engine_factory("fr-feature", model_dir=settings.resolved_model_dir)()
    custom = service_engine(Settings(face_engine="custom", face_threshold=1.08, face_model_channels="BGR",
                                     face_model_mean=127.0, face_model_std=128.0,
                                     face_model_path=model_path(FR_FEATURE, settings.resolved_model_dir)))
    assert (custom.name, custom.threshold) == ("custom", 1.08)
    photo = faces_dir / "images/obama/1.jpg"
    np.testing.assert_allclose(embed(custom, photo), embed(pinned, photo), atol=1e-5)
