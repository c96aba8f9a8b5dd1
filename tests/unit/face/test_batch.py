"""Encoding files: results in order, typed error codes, stage timings, and the process pool."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from civicid.face.batch import encode_bytes, encode_files
from civicid.face.dlib_engine import DlibFaceEngine
from tests.unit.face.conftest import LIMITS

pytestmark = pytest.mark.data


class Ticks:
    """A clock that advances 10 ms per reading, so timings are exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.010
        return self.now


def test_encode_bytes_times_each_stage(engine: DlibFaceEngine, faces_dir: Path) -> None:
    result = encode_bytes(engine, (faces_dir / "multi" / "einstein.jpeg").read_bytes(), name="e", clock=Ticks(), **LIMITS)
    assert result.ok and result.error is None and result.faces == 1
    assert (result.timings.decode_ms, result.timings.detect_ms, result.timings.embed_ms) == pytest.approx((10, 10, 10))
    assert result.quality is not None


@pytest.mark.parametrize("name, code, faces", [("truncated.jpg", "image.corrupt", 0), ("group_017_0.jpg", "face.not_found", 0)])
def test_encode_bytes_reports_the_error_code(engine: DlibFaceEngine, faces_dir: Path, name: str, code: str, faces: int) -> None:
    result = encode_bytes(engine, (faces_dir / "multi" / name).read_bytes(), name=name, clock=Ticks(), **LIMITS)
    assert (result.ok, result.error, result.faces, result.embedding) == (False, code, faces, None)


def test_select_single_refuses_a_group_and_primary_takes_one(engine: DlibFaceEngine, faces_dir: Path) -> None:
    data = (faces_dir / "multi" / "two_people.jpg").read_bytes()
    assert encode_bytes(engine, data, name="g", select="single", **LIMITS).error == "face.multiple"
    primary = encode_bytes(engine, data, name="g", select="primary", **LIMITS)
    assert primary.ok and primary.faces == 2


def test_pool_and_in_process_give_the_same_embeddings(faces_dir: Path, tmp_path: Path) -> None:
    files = [faces_dir / "images" / "lfw_tim_duncan" / f"{i}.jpg" for i in (1, 2, 3, 4)]
    files += [faces_dir / "multi" / "truncated.jpg", tmp_path / "missing.jpg"]
    files *= 2  # more files than one chunk, so that two workers share them
    seen = []
    pooled = encode_files(
        files, engine_factory=DlibFaceEngine, workers=2, chunk_size=3,
        progress=lambda done, total: seen.append((done, total)), **LIMITS,
    )
    assert [r.path for r in pooled] == [str(f) for f in files]
    assert [r.error for r in pooled[:6]] == [None] * 4 + ["image.corrupt", "image.unreadable"]
    assert seen[-1] == (12, 12)
    local = encode_files(files[:4], engine_factory=functools.partial(DlibFaceEngine), workers=1, **LIMITS)
    for a, b in zip(pooled, local):
        np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-6)
