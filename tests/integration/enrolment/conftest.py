from tests.integration.limits.real_store import real_engine, real_sessions  # noqa: F401  (fixtures)
