"""The metrics the domains report, as a narrow interface: the web app supplies a Prometheus one
(:class:`civicid.observability.prometheus.PrometheusMetrics`), everything else (the CLI, tests
that do not look) the null one. No global registry: each app has its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class Metrics(Protocol):
    def decision(self, flow: str, outcome: str, reasons: Sequence[str]) -> None:
        """One decision of ``flow`` (enrolment, recovery, partner) with its stable reason codes."""

    def face_stages(self, flow: str, timings_ms: Mapping[str, float]) -> None:
        """The stage timings of one live check (``Assessment.timings_ms``)."""

    def limit_hit(self, scope: str, *, refused: bool) -> None:
        """One attempt counted against a limiter scope, or refused by it."""


class NullMetrics:
    """Records nothing."""

    def decision(self, flow: str, outcome: str, reasons: Sequence[str]) -> None:
        pass

    def face_stages(self, flow: str, timings_ms: Mapping[str, float]) -> None:
        pass

    def limit_hit(self, scope: str, *, refused: bool) -> None:
        pass


NULL_METRICS = NullMetrics()
