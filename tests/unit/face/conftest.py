from __future__ import annotations

import pytest

from civicid.face.dlib_engine import DlibFaceEngine

LIMITS = dict(max_bytes=10 * 1024 * 1024, max_pixels=40_000_000)


@pytest.fixture(scope="session")
def engine() -> DlibFaceEngine:
    """The default engine, its models loaded once for the whole test session."""
    engine = DlibFaceEngine()
    engine.load()
    return engine
