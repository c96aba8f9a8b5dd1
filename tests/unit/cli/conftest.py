from __future__ import annotations

import pytest

from civicid.face.dlib_engine import DlibFaceEngine


@pytest.fixture(scope="session")
def shared_engine() -> DlibFaceEngine:
    engine = DlibFaceEngine()
    engine.load()
    return engine


@pytest.fixture
def loaded_engine(shared_engine: DlibFaceEngine, monkeypatch: pytest.MonkeyPatch) -> DlibFaceEngine:
    """Let commands reuse one loaded engine instead of loading the models per invocation."""
    monkeypatch.setattr("civicid.cli.verify.DlibFaceEngine", lambda **options: shared_engine)
    return shared_engine
