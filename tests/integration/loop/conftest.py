from tests.integration.limits.real_store import real_engine, real_sessions  # noqa: F401  (fixtures)
import pytest


@pytest.fixture
def session_factory(real_sessions):
    """Real transactions on their own connections: what is tested here is who waits for whom."""
    return real_sessions
