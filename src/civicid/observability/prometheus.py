"""The service's Prometheus metrics, on a registry of their own (one per app, never the global
default one), exposed at ``/metrics`` (civicid.web.metrics).

Every label value comes from a small set the code defines: HTTP route templates (never the raw
path), flows, face stages, reason codes with their ``:<detail>`` suffix cut, limiter scopes.
Anything else becomes ``other``, so no label can carry a citizen's data or grow without bound.

======================================  =====================================================
``civicid_http_request_duration_seconds``  histogram by method, route template, status
``civicid_face_stage_seconds``           histogram by flow, stage (detect, embed, pad, ...)
``civicid_decisions_total``              counter by flow, outcome
``civicid_decision_reasons_total``       counter by flow, outcome, reason code
``civicid_limiter_hits_total``           counter by scope, result (counted, refused)
``civicid_log_outbox_pending_events``    gauge, read at scrape time
``civicid_log_outbox_oldest_age_seconds``  gauge, read at scrape time (0 when none waits)
======================================  =====================================================
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("civicid.observability")

FLOWS = frozenset({"enrolment", "recovery", "partner"})
STAGES = frozenset({"stream", "detect", "embed", "pad", "liveness", "match"})
OTHER = "other"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# A reason code is dotted lower-case words (``liveness.presentation_attack``); a label word is
# one such word (an outcome, a limiter scope).
_REASON = re.compile(r"[a-z][a-z0-9_]{0,31}(?:\.[a-z0-9_]{1,32}){1,3}")
_WORD = re.compile(r"[a-z][a-z0-9_]{0,31}")

OutboxReader = Callable[[], "tuple[int, float | None]"]


def reason_code(reason: str) -> str:
    """``liveness.action_missing:turn_right`` -> ``liveness.action_missing``; anything that is
    not a reason code -> ``other``."""
    code = reason.split(":", 1)[0]
    return code if _REASON.fullmatch(code) else OTHER


def _word(value: str) -> str:
    return value if _WORD.fullmatch(value) else OTHER


class PrometheusMetrics:
    """:class:`civicid.observability.interfaces.Metrics` on a registry of its own. ``outbox``
    reads the transparency log's outbox (pending events, age of the oldest in seconds or None)
    when Prometheus scrapes."""

    def __init__(self, *, outbox: OutboxReader | None = None, process: bool = True) -> None:
        self.registry = CollectorRegistry()
        self.http = Histogram("civicid_http_request_duration_seconds",
                              "Time from a request's arrival to the end of its response, by route template.",
                              ("method", "route", "status"), buckets=LATENCY_BUCKETS, registry=self.registry)
        self._stages = Histogram("civicid_face_stage_seconds", "Time spent in each stage of a live face check.",
                                 ("flow", "stage"), buckets=STAGE_BUCKETS, registry=self.registry)
        self._decisions = Counter("civicid_decisions", "Decisions of the face flows, by outcome.",
                                  ("flow", "outcome"), registry=self.registry)
        self._reasons = Counter("civicid_decision_reasons", "Reason codes given with decisions (detail cut).",
                                ("flow", "outcome", "reason"), registry=self.registry)
        self._limits = Counter("civicid_limiter_hits", "Attempts counted or refused by the attempt limiter.",
                               ("scope", "result"), registry=self.registry)
        if outbox is not None:
            self.registry.register(_OutboxCollector(outbox))
        if process:
            ProcessCollector(registry=self.registry)

    # --- Metrics ---------------------------------------------------------------------------------
    def decision(self, flow: str, outcome: str, reasons: Sequence[str]) -> None:
        flow, outcome = (flow if flow in FLOWS else OTHER), _word(outcome)
        self._decisions.labels(flow, outcome).inc()
        for reason in reasons:
            self._reasons.labels(flow, outcome, reason_code(reason)).inc()

    def face_stages(self, flow: str, timings_ms: Mapping[str, float]) -> None:
        flow = flow if flow in FLOWS else OTHER
        for stage, ms in timings_ms.items():
            self._stages.labels(flow, stage if stage in STAGES else OTHER).observe(max(ms, 0.0) / 1000)

    def limit_hit(self, scope: str, *, refused: bool) -> None:
        self._limits.labels(_word(scope), "refused" if refused else "counted").inc()

    # --- exposition ------------------------------------------------------------------------------
    def exposition(self) -> bytes:
        """The Prometheus text format (version 0.0.4)."""
        return generate_latest(self.registry)


class _OutboxCollector(Collector):
    """The transparency log's outbox, read when scraped (as the readiness check reads it)."""

    def __init__(self, read: OutboxReader) -> None:
        self._read = read

    def describe(self):
        return self._families()

    def collect(self):
        try:
            pending, age = self._read()
        except Exception as error:  # the series go missing, which alerts can see (absent())
            log.warning("metrics: the log outbox could not be read (%s)", type(error).__name__)
            return []
        return self._families(pending, 0.0 if age is None else max(age, 0.0))

    @staticmethod
    def _families(pending: int | None = None, age: float | None = None) -> list[GaugeMetricFamily]:
        families = [
            GaugeMetricFamily("civicid_log_outbox_pending_events",
                              "Recorded accesses waiting to enter the transparency log's tree."),
            GaugeMetricFamily("civicid_log_outbox_oldest_age_seconds",
                              "Age of the oldest waiting event (0 when none waits)."),
        ]
        if pending is not None:
            families[0].add_metric([], pending)
            families[1].add_metric([], age)
        return families
