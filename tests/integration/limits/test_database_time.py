"""Limits take their time from the database, so nodes whose clocks disagree share one budget."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace

from fastapi.testclient import TestClient

from civicid.clock import SystemClock
from civicid.officials.service import OfficialService
from civicid.runtime import build_runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app
from tests.support.harness import make_citizen

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"
READ = {"id_number": ID_NUMBER, "justification": "Court order 2026/117: identity dispute over SIM ownership",
        "case_reference": "CASE-2026-117"}


class SkewedClock(SystemClock):
    """A node's system clock that is off by ``skew`` (NTP broken, a VM resumed from suspend)."""

    def __init__(self, skew: timedelta) -> None:
        self._skew = skew

    def now(self):
        return super().now() + self._skew


def _node(session_factory, keys, tmp_path, skew: timedelta, **settings):
    settings = Settings(home=tmp_path, demo=False, **settings)
    runtime = build_runtime(settings, sessions=session_factory, keys=keys, clock=SkewedClock(skew),
                            rng=random.Random(0))
    return runtime, TestClient(create_app(settings, runtime=runtime))


def test_two_nodes_with_skewed_clocks_share_the_official_limit(session_factory, tmp_path):
    keys = FakeKeyProvider()
    node_a, http_a = _node(session_factory, keys, tmp_path, timedelta(0), official_reads_per_hour=3)
    _, http_b = _node(session_factory, keys, tmp_path, timedelta(minutes=61), official_reads_per_hour=3)
    make_citizen(SimpleNamespace(runtime=node_a, clock=node_a.clock), id_number=ID_NUMBER, name=NAME)
    with node_a.transaction() as session:
        token = OfficialService(node_a, session).add_staff("Officer Chen", "registry_officer").token
    auth = {"Authorization": f"Bearer {token}"}

    answers = [http.post("/api/v1/staff/citizen-reads", json=READ, headers=auth).status_code
               for http in (http_a, http_a, http_a, http_b, http_a, http_b)]
    assert answers == [200, 200, 200, 429, 429, 429]
