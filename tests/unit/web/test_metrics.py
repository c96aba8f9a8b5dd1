"""/metrics: the Prometheus text format, route templates (never raw paths), one registry per
app, the access rule, and the request middleware's cost."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from civicid.clock import FixedClock
from civicid.settings import Settings
from civicid.web.app import create_app

NOW = datetime(2026, 11, 4, 9, 0, tzinfo=timezone.utc)
LOOPBACK = ("127.0.0.1", 40000)
TOKEN = "m" * 40
ID_NUMBER = "11010519900307005X"


def fake_runtime(settings: Settings, *, pending=2, oldest_s=30.0):
    """Enough of a Runtime for /metrics: the outbox, read in a 'transaction'."""
    oldest_ms = int((NOW.timestamp() - oldest_s) * 1000)
    log = SimpleNamespace(outbox=lambda: (pending, oldest_ms))

    @contextmanager
    def transaction():
        yield None

    return SimpleNamespace(settings=settings, clock=FixedClock(NOW), transaction=transaction,
                           access_log=lambda session: log, engine=None)


def app_with(**settings):
    settings = Settings(environment="test", **settings)
    return create_app(settings, runtime=fake_runtime(settings))


def families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_metrics_in_the_text_format_labelled_by_route_template():
    client = TestClient(app_with(), client=LOOPBACK)
    client.post(f"/api/v1/enrolments/{ID_NUMBER}/frames")  # refused; the path holds an ID number
    client.get(f"/no/such/{ID_NUMBER}")
    client.get("/api/v1/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    assert ID_NUMBER not in text and "/no/such" not in text
    found = families(text)
    routes = {sample.labels["route"] for sample in found["civicid_http_request_duration_seconds"].samples}
    assert {"/api/v1/enrolments/{session_id}/frames", "unmatched", "/api/v1/health"} <= routes
    assert found["civicid_log_outbox_pending_events"].samples[0].value == 2
    assert found["civicid_log_outbox_oldest_age_seconds"].samples[0].value == 30.0


def test_every_label_value_is_from_a_bounded_set():
    client = TestClient(app_with(), client=LOOPBACK)
    client.request("PROPFIND", "/api/v1/health")
    for path in (f"/static/{ID_NUMBER}.png", "/api/v1/health", f"/api/v1/enrolments/{ID_NUMBER}/frames"):
        client.get(path)
    samples = families(client.get("/metrics").text)["civicid_http_request_duration_seconds"].samples
    for sample in samples:
        assert sample.labels["method"] in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}
        assert sample.labels["route"] == "unmatched" or sample.labels["route"].startswith("/")
        assert "{" in sample.labels["route"] or ID_NUMBER not in sample.labels["route"]
    assert any(sample.labels["method"] == "OTHER" for sample in samples)
    assert any(sample.labels["route"] == "/static/{path}" for sample in samples)


def test_each_response_carries_a_request_id():
    client = TestClient(app_with(), client=LOOPBACK)
    first, second = client.get("/api/v1/health"), client.get("/api/v1/health")
    assert len(first.headers["x-request-id"]) == 16
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_two_apps_in_one_process_keep_their_own_metrics():
    one, two = TestClient(app_with(), client=LOOPBACK), TestClient(app_with(), client=LOOPBACK)
    one.get("/api/v1/health")
    assert "/api/v1/health" in one.get("/metrics").text
    assert "/api/v1/health" not in two.get("/metrics").text


@pytest.mark.parametrize(("client", "headers", "status"), [
    (LOOPBACK, {}, 200),
    (("::1", 40000), {}, 200),
    (("testclient", 50000), {}, 403),
    (("203.0.113.5", 40000), {}, 403),
    (LOOPBACK, {"X-Forwarded-For": "203.0.113.5"}, 403),  # relayed by a proxy on this host
    (LOOPBACK, {"Forwarded": "for=203.0.113.5"}, 403),
])
def test_without_a_token_only_unrelayed_loopback_clients_read_the_metrics(client, headers, status):
    response = TestClient(app_with(), client=client).get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "metrics.forbidden"


@pytest.mark.parametrize(("authorization", "status"), [
    (None, 401), ("Bearer wrong", 401), (f"Basic {TOKEN}", 401), (f"Bearer {TOKEN}", 200), (f"bearer {TOKEN}", 200),
])
def test_with_a_token_the_bearer_reads_them_from_anywhere(authorization, status):
    client = TestClient(app_with(metrics_token=TOKEN), client=("203.0.113.5", 40000))
    response = client.get("/metrics", headers={"Authorization": authorization} if authorization else {})
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"]["code"] == "metrics.unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_production_refuses_a_placeholder_metrics_token():
    with pytest.raises(ValueError, match="CIVICID_METRICS_TOKEN"):
        Settings(environment="production", session_secret="s" * 40, database_url="postgresql://x/y",
                 registry_url="https://registry.example", metrics_token="changeme")


def test_log_format_is_json_in_production_and_text_elsewhere():
    production = Settings(environment="production", session_secret="s" * 40, database_url="postgresql://x/y",
                          registry_url="https://registry.example")
    assert production.log_format == "json"
    assert Settings(environment="development").log_format == "text"
    assert Settings(environment="development", log_format="json").log_format == "json"
