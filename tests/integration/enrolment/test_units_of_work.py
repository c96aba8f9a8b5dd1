"""Enrolment and recovery decisions on the real store hold no transaction during face work.

The review: on SQLite, the default store, a decision took the write lock and kept it for the whole
face assessment, so a transparency read waited 29.9 s and `civicid registry add` failed with
"database is locked". Here the face engine blocks in the middle of a decision until the test has
done its own writes and reads.
"""

from __future__ import annotations

import threading
import time

import pytest

from civicid.enrolment.recovery import RecoveryService
from civicid.enrolment.service import EnrolmentService, decide_session
from tests.support.clips import clip_frames, still
from tests.support.harness import make_citizen

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"
OTHER_ID, OTHER_NAME = "11010519850512002X", "Wang Fang"


@pytest.mark.parametrize("service", [EnrolmentService, RecoveryService])
def test_the_store_serves_others_while_a_decision_does_its_face_work(blocked, service) -> None:
    h = blocked
    if service is RecoveryService:
        make_citizen(h, id_number=ID_NUMBER, name=NAME)
    url = "/api/v1/enrolments" if service is EnrolmentService else "/api/v1/recovery"
    session_id = h.client.post(url, json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    outcome: list = []
    decision = threading.Thread(target=lambda: outcome.append(decide_session(
        h.runtime, service, session_id, clip_frames(h.clip, 0.0, 2.8), client="198.51.100.7")))
    decision.start()
    try:
        assert h.engine.working.wait(timeout=30)
        started = time.monotonic()
        h.add_person(id_number=OTHER_ID, name=OTHER_NAME, photo=still(h.clip, 3.0))  # a registry write
        assert h.client.get("/api/v1/transparency/sth").status_code == 200  # a transparency read
        assert time.monotonic() - started < 5  # SQLite waits up to 30 s for a held lock
    finally:
        h.engine.release()
        decision.join(timeout=120)
    assert outcome and outcome[0].decision in ("enrolled", "recovered"), outcome
    assert set(h.engine.open_while_working) == {0}
