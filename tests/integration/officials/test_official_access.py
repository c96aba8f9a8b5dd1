"""Officials read one citizen at a time, with justification; the citizen sees it, with a proof."""

from __future__ import annotations

import base64
import hashlib

import pytest

from civicid.officials.service import OfficialService
from tests.support.harness import make_citizen
from tests.unit.audit import rfc9162_reference as rfc

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"
READ = {"id_number": ID_NUMBER, "justification": "Court order 2026/117: identity dispute over SIM ownership",
        "case_reference": "CASE-2026-117"}


@pytest.fixture
def h(harness_factory):
    harness = harness_factory(official_reads_per_hour=3)
    harness.citizen_id = make_citizen(harness, id_number=ID_NUMBER, name=NAME)
    with harness.runtime.transaction() as session:
        service = OfficialService(harness.runtime, session)
        harness.officer = service.add_staff("Officer Chen", "registry_officer").token
        harness.auditor = service.add_staff("Auditor Wu", "auditor").token
    return harness


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_officer_read_is_logged_for_the_citizen_with_a_checkable_proof(h):
    read = h.client.post("/api/v1/staff/citizen-reads", json=READ, headers=_auth(h.officer))
    assert read.status_code == 200 and read.json()["name"] == NAME

    with h.runtime.transaction() as session:
        from civicid.identity.sessions import SignInSessions

        token = SignInSessions(session, h.clock).create(h.citizen_id, amr=("hwk",), acr="urn:civicid:acr:face-liveness")
    history = h.client.get("/api/v1/me/history", headers=_auth(token)).json()
    [event] = [e for e in history["events"] if e["tag"] == "official:citizen:read"]
    assert "CASE-2026-117" in event["purpose"] and "Court order" in event["purpose"]
    leaf = base64.b64decode(event["leaf"])
    root = base64.b64decode(history["sth"]["sha256_root_hash"])
    path = [base64.b64decode(p) for p in event["inclusion_path"]]
    assert rfc.verify_inclusion(hashlib.sha256(b"\x00" + leaf).digest(), event["leaf_index"],
                                history["sth"]["tree_size"], path, root)


@pytest.mark.parametrize("change", [{"justification": "because"}, {"case_reference": "x"}, {"case_reference": "a b c"}])
def test_read_needs_a_justification_and_a_case_reference(h, change):
    response = h.client.post("/api/v1/staff/citizen-reads", json={**READ, **change}, headers=_auth(h.officer))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "official.justification_required"


def test_roles_and_tokens_are_enforced(h):
    assert h.client.post("/api/v1/staff/citizen-reads", json=READ).json()["error"]["code"] == "staff.unauthorized"
    assert h.client.post("/api/v1/staff/citizen-reads", json=READ,
                         headers=_auth("stf_forged")).json()["error"]["code"] == "staff.unauthorized"
    as_auditor = h.client.post("/api/v1/staff/citizen-reads", json=READ, headers=_auth(h.auditor))
    assert as_auditor.status_code == 403 and as_auditor.json()["error"]["code"] == "staff.forbidden"


def test_rate_limit_refuses_and_raises_an_alert_the_auditor_sees_without_personal_data(h):
    for _ in range(3):
        assert h.client.post("/api/v1/staff/citizen-reads", json=READ, headers=_auth(h.officer)).status_code == 200
    refused = h.client.post("/api/v1/staff/citizen-reads", json=READ, headers=_auth(h.officer))
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "official.rate_limited"

    summary = h.client.get("/api/v1/staff/audit/summary", headers=_auth(h.auditor))
    body = summary.json()
    assert summary.status_code == 200
    assert body["events_by_tag"] == {"official:citizen:read": 3, "system:official:rate_limit_alert": 1}
    assert body["verification"]["ok"] is True
    text = summary.text
    assert NAME not in text and ID_NUMBER not in text and "1990" not in text


def test_there_is_no_listing_or_bulk_export(h):
    paths = {getattr(route, "path", "") for route in h.client.app.routes}
    assert not [p for p in paths if ("citizens" in p or "export" in p) and not p.startswith("/api/v1/me")]
    assert h.client.get("/api/v1/staff/citizen-reads", headers=_auth(h.officer)).status_code == 405
