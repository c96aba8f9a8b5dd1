from __future__ import annotations

import pytest

from civicid.face.interfaces import FaceEngine
from civicid.runtime import service_engine
from civicid.settings import Settings


@pytest.fixture(scope="session")
def shared_engine() -> FaceEngine:
    engine = service_engine(Settings())
    engine.load()
    return engine


@pytest.fixture
def loaded_engine(shared_engine: FaceEngine, monkeypatch: pytest.MonkeyPatch) -> FaceEngine:
    """Let commands reuse one loaded engine instead of loading the models per invocation."""
    monkeypatch.setattr("civicid.cli.verify.service_engine", lambda settings: shared_engine)
    return shared_engine
