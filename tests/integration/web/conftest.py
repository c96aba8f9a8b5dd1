"""The app on the test database (SQLite and PostgreSQL), with fake keys and a pinned clock: the
HTTP boundary's tests need no face engine."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from civicid.clock import FixedClock
from civicid.runtime import Runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app

PUBLIC_URL = "http://localhost:8000"
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def make_client(session_factory, tmp_path):
    """``make_client(**settings)``: a TestClient on an app built with these settings."""
    opened = []

    def make(**overrides) -> TestClient:
        settings = Settings(**{"home": tmp_path, "public_url": PUBLIC_URL, "environment": "test", **overrides})
        runtime = Runtime(settings=settings, sessions=session_factory, keys=FakeKeyProvider(), clock=FixedClock(NOW))
        client = TestClient(create_app(settings, runtime=runtime), base_url=PUBLIC_URL)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()
