"""Officials read one citizen at a time, with justification; the citizen sees it, with a proof."""

from __future__ import annotations

import base64
import hashlib

import pytest

from civicid.officials.errors import JustificationRequired
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
    assert body["events_by_tag"] == {"official:citizen:read": 3, "system:official:rate_limit_alert": 1,
                                     "official:citizen:read_refused": 1}
    assert body["verification"]["ok"] is True
    text = summary.text
    assert NAME not in text and ID_NUMBER not in text and "1990" not in text


def test_there_is_no_listing_or_bulk_export(h):
    paths = {getattr(route, "path", "") for route in h.client.app.routes}
    assert not [p for p in paths if ("citizens" in p or "export" in p) and not p.startswith("/api/v1/me")]
    assert h.client.get("/api/v1/staff/citizen-reads", headers=_auth(h.officer)).status_code == 405


@pytest.mark.parametrize("justification", [
    "a" * 20,                                       # the review's example
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbb",     # two letters
    "test test test test test test",                # one word repeated
    "asdfasdfasdfasdfasdfasdf",                     # one chunk repeated
    "qwertyuiopasdfghjklzxcvbnm",                   # one word
    "1234567890 1234567890 12345",                  # no words at all
    "........................",
    "Court order for 11010519900307005X please",    # the ID number would go into the public log
])
def test_degenerate_justifications_are_refused(h, justification):
    response = h.client.post("/api/v1/staff/citizen-reads", json={**READ, "justification": justification},
                             headers=_auth(h.officer))
    assert response.status_code == 422, justification
    error = response.json()["error"]
    assert error["code"] == "official.justification_required"
    assert error["detail"]["field"] == "justification" and error["message"] != JustificationRequired.default_message


@pytest.mark.parametrize("reference", ["xxx", "CASE", "case-2026-117", "CASE-2026-", "CASE-1850-1", "CASE 2026 117",
                                       "X-2026-1", "CASE-2026-117-A"])
def test_the_case_reference_must_have_the_configured_format(h, reference):
    response = h.client.post("/api/v1/staff/citizen-reads", json={**READ, "case_reference": reference},
                             headers=_auth(h.officer))
    assert response.status_code == 422, reference
    assert response.json()["error"]["detail"] == {"field": "case_reference", "reason": "format"}


@pytest.mark.parametrize("justification", [
    "Court order 2026/117: identity dispute over SIM ownership",
    "Fraud report filed by the bank on 3 March",
    "法院要求核实该公民身份以处理手机卡归属纠纷",     # Chinese has no spaces between words
])
def test_real_justifications_are_accepted(h, justification):
    response = h.client.post("/api/v1/staff/citizen-reads", json={**READ, "justification": justification},
                             headers=_auth(h.officer))
    assert response.status_code == 200, response.text


def test_the_operator_sets_the_case_reference_format(harness_factory):
    h = harness_factory(official_case_reference_pattern=r"POL/[0-9]{6}")
    make_citizen(h, id_number=ID_NUMBER, name=NAME)
    with h.runtime.transaction() as session:
        token = OfficialService(h.runtime, session).add_staff("Officer Chen", "registry_officer").token
    post = lambda ref: h.client.post("/api/v1/staff/citizen-reads", json={**READ, "case_reference": ref},  # noqa: E731
                                     headers=_auth(token)).status_code
    assert (post("POL/004711"), post("CASE-2026-117")) == (200, 422)


def _history_tags(h) -> list[tuple[str, str]]:
    with h.runtime.transaction() as session:
        from civicid.identity.sessions import SignInSessions

        token = SignInSessions(session, h.clock).create(h.citizen_id, amr=("hwk",), acr="urn:civicid:acr:face-liveness")
    events = h.client.get("/api/v1/me/history", headers=_auth(token)).json()["events"]
    return [(e["tag"], e["purpose"]) for e in events if e["tag"].startswith("official:")]


def test_refused_attempts_on_an_enrolled_citizen_are_in_their_history(h):
    bad = h.client.post("/api/v1/staff/citizen-reads", json={**READ, "justification": "a" * 20},
                        headers=_auth(h.officer))
    wrong_role = h.client.post("/api/v1/staff/citizen-reads", json=READ, headers=_auth(h.auditor))
    for _ in range(4):
        last = h.client.post("/api/v1/staff/citizen-reads", json=READ, headers=_auth(h.officer))
    assert (bad.status_code, wrong_role.status_code, last.status_code) == (422, 403, 429)

    tags = _history_tags(h)
    assert sorted(tags) == sorted(
        [("official:citizen:read_refused", "read refused: official.justification_required"),
         ("official:citizen:read_refused", "read refused: staff.forbidden"),
         ("official:citizen:read_refused", "read refused: official.rate_limited")]
        + [("official:citizen:read", "case CASE-2026-117: " + READ["justification"])] * 3)


def test_a_refused_read_of_someone_not_enrolled_logs_nothing_personal(h):
    other = {**READ, "id_number": "11010519491231002X", "justification": "a" * 20}
    assert h.client.post("/api/v1/staff/citizen-reads", json=other, headers=_auth(h.officer)).status_code == 422
    summary = h.client.get("/api/v1/staff/audit/summary", headers=_auth(h.auditor)).json()
    assert summary["events_by_tag"] == {}
