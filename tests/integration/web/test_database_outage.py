"""A database outage is a typed 503 with Retry-After on every route (not a 500), liveness stays
up while readiness says why not, and the service comes back by itself when the database does."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from fastapi.testclient import TestClient

from civicid.clock import FixedClock
from civicid.db import make_engine, make_session_factory
from civicid.migrate import upgrade
from civicid.runtime import Runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app
from tests.conftest import fresh_postgres_database
from tests.integration.web.tcp_proxy import TcpProxy

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
# a FastAPI route, a plain (sign-in) route, a page
ROUTES = [("GET", "/api/v1/transparency/sth"), ("POST", "/api/v1/signin/options"), ("GET", "/oauth2/authorize")]


def client_on(engine, tmp_path) -> TestClient:
    settings = Settings(home=tmp_path, environment="test", public_url="http://localhost:8000")
    runtime = Runtime(settings=settings, sessions=make_session_factory(engine), keys=FakeKeyProvider(),
                      clock=FixedClock(NOW), engine=engine)
    return TestClient(create_app(settings, runtime=runtime), base_url="http://localhost:8000")


def assert_outage(client: TestClient) -> None:
    for method, path in ROUTES:
        response = client.request(method, path, params={"client_id": "c"} if "authorize" in path else None)
        assert response.status_code == 503, (path, response.text)
        assert response.json()["error"]["code"] == "service.unavailable", path
        assert int(response.headers["retry-after"]) > 0
    assert client.get("/api/v1/health").status_code == 200  # the process is alive
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 503 and ready.json()["error"]["code"] == "service.not_ready"
    assert ready.json()["error"]["detail"]["checks"]["database"]["ok"] is False


def assert_serving(client: TestClient) -> None:
    assert client.get("/api/v1/transparency/sth").status_code == 200
    assert client.post("/api/v1/signin/options").status_code == 200
    assert client.get("/api/v1/ready").status_code == 200


def test_postgresql_outage_and_recovery(tmp_path):
    url = sa.make_url(fresh_postgres_database("outage"))
    direct = make_engine(url.render_as_string(hide_password=False))
    upgrade(direct)
    direct.dispose()
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        with client_on(engine, tmp_path) as client:
            assert_serving(client)
            proxy.stop()  # pooled connections die with it
            assert_outage(client)
            proxy.start()  # same port
            assert_serving(client)
    finally:
        proxy.stop()
        engine.dispose()


def test_sqlite_outage_and_recovery(tmp_path):
    folder = tmp_path / "data"
    engine = make_engine(f"sqlite:///{folder / 'civicid.db'}")  # the folder is not there (yet)
    try:
        with client_on(engine, tmp_path) as client:
            assert_outage(client)
            folder.mkdir()
            upgrade(engine)
            assert_serving(client)
    finally:
        engine.dispose()
