from tests.integration.limits.real_store import real_engine, real_sessions  # noqa: F401  (fixtures)
import pytest


@pytest.fixture
def session_factory(real_sessions):
    """The fuzzer's app runs on the real store: committed transactions on their own connections."""
    return real_sessions

