from __future__ import annotations

import pytest

from tests.conftest import require_data
from tests.integration.limits.real_store import real_engine, real_sessions  # noqa: F401  (fixtures)
from tests.support.clips import still
from tests.support.harness import CLM, Harness
from tests.support.units_of_work import BlockingEngine

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"


@pytest.fixture
def blocked(real_sessions, real_engine, shared_face_engine, tmp_path):
    engine = BlockingEngine(shared_face_engine, real_engine)
    harness = Harness(real_sessions, engine, tmp_path, challenge="turn_right,turn_left")
    harness.engine = engine
    harness.clip = require_data("videos", CLM)
    harness.add_person(id_number=ID_NUMBER, name=NAME, photo=still(harness.clip, 3.0))
    return harness
