"""An enrolment decision over HTTP shows in /metrics: the decision with its reason code (detail
cut), the face stage timings, the limiter's counted attempts and the route's latency."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import require_data
from tests.support.clips import clip_frames, still
from tests.support.harness import CLM

ID_NUMBER = "11010519900307005X"
NAME = "Li Ming"
TOKEN = "t" * 40


def scrape(h) -> dict[tuple, float]:
    response = h.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_a_rejected_enrolment_counts_its_reason_and_times_its_stages(harness_factory):
    clip = require_data("videos", CLM)
    h = harness_factory(challenge="turn_right,turn_left", metrics_token=TOKEN)
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(clip, 0.1))
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    body = h.post_frames(f"/api/v1/enrolments/{session_id}/frames", clip_frames(clip, 2.9, 5.5)).json()
    assert body["decision"] == "rejected" and "liveness.action_missing:turn_right" in body["reasons"]

    got = scrape(h)
    assert got[("civicid_decisions_total", (("flow", "enrolment"), ("outcome", "rejected")))] == 1
    assert got[("civicid_decision_reasons_total", (("flow", "enrolment"), ("outcome", "rejected"),
                                                   ("reason", "liveness.action_missing")))] >= 1
    for stage in ("detect", "embed", "liveness"):
        assert got[("civicid_face_stage_seconds_count", (("flow", "enrolment"), ("stage", stage)))] == 1
        assert got[("civicid_face_stage_seconds_sum", (("flow", "enrolment"), ("stage", stage)))] > 0
    assert got[("civicid_limiter_hits_total", (("result", "counted"), ("scope", "enrol_start")))] == 1
    frames_route = (("method", "POST"), ("route", "/api/v1/enrolments/{session_id}/frames"), ("status", "200"))
    assert got[("civicid_http_request_duration_seconds_count", frames_route)] == 1
    assert not any(session_id in value or ID_NUMBER in value for _, labels in got for _, value in labels)
