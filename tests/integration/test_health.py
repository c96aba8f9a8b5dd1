"""Liveness (/api/v1/health: the process answers) and readiness (/api/v1/ready: the database, the
key provider and the transparency log's outbox are fit to serve)."""

from datetime import datetime, timezone

from fastapi.testclient import TestClient

from civicid.audit.events import EventTag
from civicid.clock import FixedClock
from civicid.runtime import Runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


def test_health_and_typed_404(tmp_path):
    with TestClient(create_app(Settings(home=tmp_path))) as client:
        assert client.get("/api/v1/health").json()["status"] == "ok"
        assert "CivicID" in client.get("/").text
        missing = client.get("/api/v1/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "request.not_found"


def app_on(session_factory, tmp_path, keys=None, **settings):
    runtime = Runtime(settings=Settings(home=tmp_path, environment="test", **settings), sessions=session_factory,
                      keys=keys or FakeKeyProvider(), clock=FixedClock(NOW))
    return runtime, TestClient(create_app(runtime.settings, runtime=runtime))


def test_ready_reports_each_check(session_factory, tmp_path):
    _, client = app_on(session_factory, tmp_path)
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert {name: check["ok"] for name, check in checks.items()} == {"database": True, "keys": True,
                                                                      "log_outbox": True}
    assert checks["log_outbox"]["pending"] == 0


def test_not_ready_while_the_log_outbox_is_stuck(session_factory, tmp_path):
    runtime, client = app_on(session_factory, tmp_path, ready_max_log_outbox_age_s=30)
    runtime.log_sequencing = "background"  # and no sequencer runs
    with runtime.transaction() as session:
        runtime.access_log(session).record(EventTag.CITIZEN_SELF_READ, actor="citizen", citizen_id="c-1")
    runtime.clock.advance(seconds=29)
    assert client.get("/api/v1/ready").status_code == 200
    runtime.clock.advance(seconds=2)
    stuck = client.get("/api/v1/ready")
    assert stuck.status_code == 503 and stuck.json()["error"]["code"] == "service.not_ready"
    outbox = stuck.json()["error"]["detail"]["checks"]["log_outbox"]
    assert outbox == {"ok": False, "pending": 1, "oldest_age_s": 31.0}
    assert client.get("/api/v1/health").status_code == 200


class BrokenKeys(FakeKeyProvider):
    def wrap(self, dek, *, owner):
        raise ConnectionError("the key service is unreachable")


def test_not_ready_without_the_key_provider(session_factory, tmp_path):
    _, client = app_on(session_factory, tmp_path, keys=BrokenKeys())
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 503
    assert ready.json()["error"]["detail"]["checks"]["keys"]["ok"] is False
    assert "unreachable" not in ready.text  # no internals leave
