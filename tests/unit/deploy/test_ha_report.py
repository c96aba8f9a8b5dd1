"""The HA test's verdict on a run (deploy/ha_report.py): which failures a kill explains, how long
the service did not answer, and which failures no kill explains."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "deploy"))

ha_report = pytest.importorskip("ha_report")
Record = ha_report.Record


def _ok(start: float, count: int, *, step: float = 0.1) -> list:
    return [Record(start + i * step, start + i * step + 0.05, "POST /api/v1/signin/options", 200)
            for i in range(count)]


def test_requests_that_wait_through_a_failover_make_a_window_without_failures():
    records = _ok(0, 30) + [Record(10.2, 20.4, "POST /api/v1/signin/verify", 200)] + _ok(20.5, 30)
    windows = ha_report.failure_windows(records, {"primary_killed": 10.0})
    window = windows["windows"]["primary_killed"]
    assert window["failed_requests"] == 0 and window["window_s"] == pytest.approx(10.4)
    assert window["slowest_request_across_it_s"] == pytest.approx(10.2)
    assert windows["failures_outside_windows"] == 0


def test_failures_after_a_kill_are_its_window_and_a_later_one_is_outside():
    frames = "POST /api/v1/enrolments/" + "a" * 36 + "/frames"
    records = (_ok(0, 30) + [Record(20.0, 20.1, frames, 503), Record(20.2, 20.3, "GET /oauth2/authorize", 0)]
               + _ok(20.4, 30) + [Record(40.0, 40.1, "GET /oauth2/userinfo", 500)])
    windows = ha_report.failure_windows(records, {"api_replica_killed": 20.0})
    window = windows["windows"]["api_replica_killed"]
    assert window["failed_requests"] == 2 and window["last_failure_s"] == pytest.approx(20.3)
    assert window["failures"] == {"503 POST /api/v1/enrolments/<id>/frames": 1, "0 GET /oauth2/authorize": 1}
    assert windows["failures_outside_windows"] == 1 and windows["outside"][0]["kind"] == "GET /oauth2/userinfo"


def test_a_failure_before_any_kill_is_outside():
    records = [Record(1.0, 1.1, "GET /oauth2/userinfo", 502)] + _ok(2, 30)
    assert ha_report.failure_windows(records, {"primary_killed": 10.0})["failures_outside_windows"] == 1
