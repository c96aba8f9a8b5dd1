"""Every limit admits exactly its limit when 20 requests arrive at once, on SQLite and PostgreSQL.

Each test starts 20 calls together on their own threads and their own database connections
(the real store: committed transactions, no shared test connection) and counts the outcomes.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from civicid.enrolment.service import EnrolmentService, ResponseFloor
from civicid.errors import CivicIDError
from civicid.ids import generate_id_number
from civicid.officials.service import OfficialService
from civicid.partners.service import PartnerService
from tests.integration.limits.concurrency import CONCURRENCY, run_at_once
from tests.support.harness import NOW, make_citizen
from tests.support.clips import tiny_jpeg

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"
FLOOR_S = 0.2  # the enrolment's response floor: a window in which a check-then-record limiter races


def _outcome(call) -> str:
    try:
        call()
    except CivicIDError as exc:
        return exc.code
    return "ok"


def _start(h, *, id_number: str, name: str, client: str) -> str:
    def call():
        with h.runtime.transaction() as session:
            EnrolmentService(h.runtime, session, floor=ResponseFloor(FLOOR_S)).start(
                id_number=id_number, name=name, client=client)
    return _outcome(call)


def test_enrolment_failures_per_client(harness_factory):
    h = harness_factory(enrolment_failures_per_client_per_hour=5)
    rng = random.Random(7)
    numbers = [generate_id_number(rng, today=NOW.date(), birth_date=date(1980, 1, 1)) for _ in range(CONCURRENCY)]
    outcomes = run_at_once([lambda n=n: _start(h, id_number=n, name=NAME, client="203.0.113.7") for n in numbers])
    assert outcomes == {"enrolment.not_found_or_mismatch": 5, "enrolment.locked": CONCURRENCY - 5}


def test_enrolment_failures_per_id_number(harness_factory):
    h = harness_factory(enrolment_failures_per_id_per_day=5)
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    outcomes = run_at_once([lambda i=i: _start(h, id_number=ID_NUMBER, name="Wang Fang", client=f"198.51.100.{i}")
                            for i in range(CONCURRENCY)])
    assert outcomes == {"enrolment.not_found_or_mismatch": 5, "enrolment.locked": CONCURRENCY - 5}


def test_official_reads_per_hour(harness_factory):
    h = harness_factory(official_reads_per_hour=10)
    make_citizen(h, id_number=ID_NUMBER, name=NAME)
    with h.runtime.transaction() as session:
        token = OfficialService(h.runtime, session).add_staff("Officer Chen", "registry_officer").token
    read = {"id_number": ID_NUMBER, "justification": "Court order 2026/117: identity dispute over SIM ownership",
            "case_reference": "CASE-2026-117"}

    def call() -> str:
        response = h.client.post("/api/v1/staff/citizen-reads", json=read, headers={"Authorization": f"Bearer {token}"})
        return str(response.status_code)

    assert run_at_once([call] * CONCURRENCY) == {"200": 10, "429": CONCURRENCY - 10}


def _partner(h) -> tuple[str, str]:
    with h.runtime.transaction() as session:
        partner = PartnerService(h.runtime, session).register("Example Mobile")
    return partner.client_id, partner.secret


def _challenge(h, auth) -> str:
    response = h.client.post("/api/v1/verifications/challenge", auth=auth)
    assert response.status_code == 201, response.text
    return response.json()["challenge_id"]


def _verify(h, auth, challenge_id: str) -> str:
    data = {"challenge_id": challenge_id, "id_number": ID_NUMBER, "name": "Wang Fang", "timestamps_ms": "0"}
    response = h.client.post("/api/v1/verifications", files=[("frames", ("0.jpg", tiny_jpeg(), "image/jpeg"))],
                             data=data, auth=auth)
    return str(response.status_code)


def test_partner_challenges_count_against_the_partner_limit(harness_factory):
    h = harness_factory(partner_requests_per_minute=5)
    auth = _partner(h)

    def call() -> str:
        return str(h.client.post("/api/v1/verifications/challenge", auth=auth).status_code)

    assert run_at_once([call] * CONCURRENCY) == {"201": 5, "429": CONCURRENCY - 5}


def test_partner_verifications_per_minute(harness_factory):
    h = harness_factory(partner_requests_per_minute=CONCURRENCY + 5, partner_requests_per_id_per_hour=100)
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    auth = _partner(h)
    challenges = [_challenge(h, auth) for _ in range(CONCURRENCY)]  # 20 of the 25 requests a minute
    outcomes = run_at_once([lambda c=c: _verify(h, auth, c) for c in challenges])
    assert outcomes == {"200": 5, "429": CONCURRENCY - 5}


def test_partner_verifications_per_id_number(harness_factory):
    h = harness_factory(partner_requests_per_minute=1000, partner_requests_per_id_per_hour=10)
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    auth = _partner(h)
    challenges = [_challenge(h, auth) for _ in range(CONCURRENCY)]
    outcomes = run_at_once([lambda c=c: _verify(h, auth, c) for c in challenges])
    assert outcomes == {"200": 10, "429": CONCURRENCY - 10}


@pytest.mark.parametrize("limit", [1, 3])
def test_a_small_limit_is_exact_too(harness_factory, limit):
    h = harness_factory(official_reads_per_hour=limit)
    make_citizen(h, id_number=ID_NUMBER, name=NAME)
    with h.runtime.transaction() as session:
        official = OfficialService(h.runtime, session).add_staff("Officer Chen", "registry_officer")

    def call() -> str:
        def read():
            with h.runtime.transaction() as session:
                service = OfficialService(h.runtime, session)
                member = service.authenticate(official.token, roles=(official.role,))
                service.read_citizen(member, id_number=ID_NUMBER, case_reference="CASE-2026-117",
                                     justification="Court order 2026/117: identity dispute over SIM ownership")
        return _outcome(read)

    assert run_at_once([call] * CONCURRENCY) == {"ok": limit, "official.rate_limited": CONCURRENCY - limit}
