from tests.integration.limits.real_store import real_engine, real_sessions  # noqa: F401  (fixtures)
import pytest


@pytest.fixture
def session_factory(real_sessions):
    """Every test here, and the HTTP harness, runs on the real store."""
    return real_sessions
