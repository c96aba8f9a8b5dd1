"""The metrics' labels are bounded and name nobody; each instance has a registry of its own."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from civicid.observability.interfaces import Metrics, NullMetrics
from civicid.observability.prometheus import PrometheusMetrics, reason_code


def samples(metrics: PrometheusMetrics) -> dict[tuple, float]:
    text = metrics.exposition().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.mark.parametrize(("reason", "code"), [
    ("liveness.presentation_attack", "liveness.presentation_attack"),
    ("liveness.action_missing:turn_right", "liveness.action_missing"),
    ("registry.photo_unusable:image.decode_failed", "registry.photo_unusable"),
    ("quality.frame:image.too_large", "quality.frame"),
    ("11010519900307005X", "other"),
    ("Wang Fang", "other"),
    ("liveness." + "x" * 40, "other"),
])
def test_reason_codes_lose_their_detail_and_nothing_else_passes(reason, code):
    assert reason_code(reason) == code


def test_decisions_reasons_stages_and_limits():
    metrics = PrometheusMetrics(process=False)
    metrics.decision("enrolment", "rejected", ("liveness.action_missing:turn_left", "liveness.action_missing:turn_right"))
    metrics.decision("enrolment", "enrolled", ())
    metrics.decision("partner", "Li Ming", ("11010519900307005X",))
    metrics.face_stages("recovery", {"detect": 120.0, "match": 3.5, "somebody's stage": 1.0})
    metrics.limit_hit("enrol_id", refused=False)
    metrics.limit_hit("enrol_id", refused=True)
    got = samples(metrics)
    assert got[("civicid_decisions_total", (("flow", "enrolment"), ("outcome", "rejected")))] == 1
    assert got[("civicid_decisions_total", (("flow", "enrolment"), ("outcome", "enrolled")))] == 1
    assert got[("civicid_decision_reasons_total", (("flow", "enrolment"), ("outcome", "rejected"),
                                                   ("reason", "liveness.action_missing")))] == 2
    assert got[("civicid_decision_reasons_total", (("flow", "partner"), ("outcome", "other"),
                                                   ("reason", "other")))] == 1
    assert got[("civicid_face_stage_seconds_sum", (("flow", "recovery"), ("stage", "detect")))] == pytest.approx(0.12)
    assert ("civicid_face_stage_seconds_count", (("flow", "recovery"), ("stage", "other"))) in got
    assert got[("civicid_limiter_hits_total", (("result", "refused"), ("scope", "enrol_id")))] == 1
    assert got[("civicid_limiter_hits_total", (("result", "counted"), ("scope", "enrol_id")))] == 1
    text = metrics.exposition().decode()
    assert "Li Ming" not in text and "11010519900307005X" not in text


def test_two_instances_do_not_share_a_registry():
    one, two = PrometheusMetrics(process=False), PrometheusMetrics(process=False)
    one.limit_hit("enrol_start", refused=False)
    assert ("civicid_limiter_hits_total", (("result", "counted"), ("scope", "enrol_start"))) in samples(one)
    assert not any(name == "civicid_limiter_hits_total" for name, _ in samples(two))


def test_the_outbox_is_read_at_scrape_time_and_a_failure_drops_only_its_series():
    state = {"value": (4, 12.5)}

    def read():
        if state["value"] is None:
            raise ConnectionError("database down")
        return state["value"]

    metrics = PrometheusMetrics(outbox=read, process=False)
    got = samples(metrics)
    assert got[("civicid_log_outbox_pending_events", ())] == 4
    assert got[("civicid_log_outbox_oldest_age_seconds", ())] == 12.5
    state["value"] = (0, None)
    assert samples(metrics)[("civicid_log_outbox_oldest_age_seconds", ())] == 0
    state["value"] = None
    got = samples(metrics)
    assert ("civicid_log_outbox_pending_events", ()) not in got
    assert ("civicid_log_outbox_oldest_age_seconds", ()) not in got


def test_both_implementations_satisfy_the_interface():
    implementations: list[Metrics] = [NullMetrics(), PrometheusMetrics(process=False)]
    for metrics in implementations:
        metrics.decision("enrolment", "rejected", ("match.distance_above_threshold",))
        metrics.face_stages("enrolment", {"embed": 10.0})
        metrics.limit_hit("enrol_client", refused=False)
