"""Pass 1 in worker processes gives what the same runs give in this process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from civicid.face.pool import LocatorPool
from civicid.face.stream import locate_all
from civicid.face.video import sample_frames
from civicid.runtime import build_runtime, service_engine, service_engine_factory
from civicid.settings import Settings
from tests.unit.face.conftest import LIMITS

pytestmark = pytest.mark.data


def test_a_pool_of_two_locates_each_half_as_this_process_does(videos_dir: Path) -> None:
    jpegs = [frame.jpeg for frame in sample_frames(videos_dir / "genuine_webcam_blink_turn_clm.mp4", fps=10)]
    settings = Settings()
    pool = LocatorPool(service_engine_factory(settings), workers=2)
    try:
        pooled = pool.locate(jpegs, full_scan_every=10, **LIMITS)
    finally:
        pool.close()
    engine = service_engine(settings)
    half = -(-len(jpegs) // 2)
    local = [*locate_all(jpegs[:half], engine, full_scan_every=10, **LIMITS),
             *locate_all(jpegs[half:], engine, full_scan_every=10, **LIMITS)]
    assert len(pooled) == len(jpegs) == len(local)
    assert [len(faces) for faces in pooled] == [len(faces) for faces in local]
    for mine, theirs in zip(pooled, local):
        for a, b in zip(mine, theirs):
            assert a.box == b.box
            np.testing.assert_array_equal(a.landmarks, b.landmarks)


def test_the_service_runtime_uses_a_pool_but_not_when_given_an_engine(tmp_path: Path) -> None:
    from civicid.vault.fakes import FakeKeyProvider

    settings = Settings(home=tmp_path, face_workers=2)
    given = build_runtime(settings, keys=FakeKeyProvider(), face_engine=service_engine(settings))
    assert given.face_pool is None
    assert build_runtime(Settings(home=tmp_path, face_workers=1), keys=FakeKeyProvider()).face_pool is None
    owned = build_runtime(settings, keys=FakeKeyProvider())
    try:
        assert isinstance(owned.face_pool, LocatorPool) and owned.face_pool.workers == 2
        assert owned.live_check().pool is owned.face_pool
    finally:
        owned.close()
    with pytest.raises(ValueError):
        LocatorPool(service_engine_factory(settings), workers=1)
