"""Issue 13: a page that lost the decision (a reload, a dropped connection while "Checking…")
fetches it again with its session id; kept 10 minutes for that client, a token handed out once."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from fastapi.testclient import TestClient

from civicid.enrolment.models import DecisionReceipt
from civicid.enrolment.recovery import RecoveryService
from civicid.enrolment.service import EnrolmentService, decide_session
from civicid.maintenance.service import prune_expired
from civicid.vault.models import WrappedDataKey
from tests.conftest import require_data
from tests.support.clips import clip_frames, still
from tests.support.harness import CLM, make_citizen

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"


def _enrolled(harness_factory):
    clip = require_data("videos", CLM)
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(clip, 3.0))
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    decided = h.post_frames(f"/api/v1/enrolments/{session_id}/frames", clip_frames(clip, 0.0, 2.8))
    assert decided.json()["decision"] == "enrolled", decided.text
    return h, session_id, decided.json()


def test_a_lost_success_is_fetched_again_with_its_token_once_and_sealed_meanwhile(harness_factory, session_factory):
    h, session_id, first = _enrolled(harness_factory)
    url = f"/api/v1/enrolments/{session_id}/decision"
    with session_factory() as session:
        row = session.get(DecisionReceipt, session_id)
        assert row.state == "decided" and row.sealed is not None
        assert first["session_token"].encode() not in row.sealed  # sealed, never plaintext
        assert first["network_id"].encode() not in row.sealed

    h.client.cookies.clear()
    again = h.client.get(url)
    assert again.status_code == 200, again.text
    assert again.headers["cache-control"] == "no-store"
    body = again.json()
    assert body == first
    assert h.client.get("/api/v1/me").status_code == 200  # the cookie came with it

    twice = h.client.get(url).json()
    assert twice == {"decision": "enrolled", "reasons": first["reasons"]}  # the token only once
    with session_factory() as session:
        assert session.get(DecisionReceipt, session_id).sealed is None
        assert session.get(WrappedDataKey, f"decision:{session_id}") is None  # shredded


def test_another_client_an_unknown_id_and_another_flow_are_not_found(harness_factory):
    h, session_id, _ = _enrolled(harness_factory)
    other = TestClient(h.client.app, client=("198.51.100.99", 4000))
    for response in (other.get(f"/api/v1/enrolments/{session_id}/decision"),
                     h.client.get("/api/v1/enrolments/00000000-0000-4000-8000-000000000000/decision"),
                     h.client.get(f"/api/v1/recovery/{session_id}/decision")):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "decision.not_found"


def test_receipts_expire_after_ten_minutes_and_the_pruner_shreds_them(harness_factory, session_factory):
    h, session_id, _ = _enrolled(harness_factory)
    h.clock.advance(minutes=10, seconds=1)
    expired = h.client.get(f"/api/v1/enrolments/{session_id}/decision")
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "decision.expired"
    assert prune_expired(h.runtime).as_dict()["decision_receipts"] == 1
    with session_factory() as session:
        assert session.get(DecisionReceipt, session_id) is None
        assert session.get(WrappedDataKey, f"decision:{session_id}") is None
    assert h.client.get(f"/api/v1/enrolments/{session_id}/decision").json()["error"]["code"] == "decision.not_found"


def test_a_typed_error_of_the_decision_is_answered_again(harness_factory):
    clip = require_data("videos", CLM)
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(clip, 3.0))
    make_citizen(h, id_number=ID_NUMBER, name=NAME)
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    first = h.post_frames(f"/api/v1/enrolments/{session_id}/frames", clip_frames(clip, 0.0, 2.8))
    assert first.status_code == 409
    again = h.client.get(f"/api/v1/enrolments/{session_id}/decision")
    assert again.status_code == 409 and again.json() == first.json()


def test_recovery_answers_pending_during_the_face_work_then_the_decision(blocked) -> None:
    h = blocked
    make_citizen(h, id_number=ID_NUMBER, name=NAME)
    session_id = h.client.post("/api/v1/recovery", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    url = f"/api/v1/recovery/{session_id}/decision"
    assert h.client.get(url).json()["error"]["code"] == "decision.not_found"  # frames not sent yet
    outcome: list = []
    decision = threading.Thread(target=lambda: outcome.append(decide_session(
        h.runtime, RecoveryService, session_id, clip_frames(h.clip, 0.0, 2.8), client="testclient",
        sign_in=True, receipt=True)))
    decision.start()
    try:
        assert h.engine.working.wait(timeout=30)
        pending = h.client.get(url)
        assert pending.status_code == 200 and pending.json() == {"decision": "pending"}
        assert pending.headers["retry-after"] == "1"
    finally:
        h.engine.release()
        decision.join(timeout=120)
    assert outcome and outcome[0].decision == "recovered"
    body = h.client.get(url).json()
    assert body["decision"] == "recovered" and body["session_token"] == outcome[0].session_token


def test_the_cli_keeps_no_receipt(blocked) -> None:
    h = blocked
    h.engine.release()
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    decide_session(h.runtime, EnrolmentService, session_id, clip_frames(h.clip, 0.0, 2.8), client="testclient")
    with h.runtime.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DecisionReceipt)) == 0
