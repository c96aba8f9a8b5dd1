"""The verification API on the real store: partner authentication shares the request's unit of
work, and no transaction stays open while the face engine works."""

from __future__ import annotations

import time

import pytest

from civicid.partners.service import PartnerService
from tests.conftest import require_data
from tests.support.clips import clip_frames, still
from tests.support.harness import CLM, Harness, make_citizen
from tests.support.units_of_work import WatchingEngine

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"


@pytest.fixture
def watched(session_factory, shared_face_engine, real_engine, tmp_path):
    engine = WatchingEngine(shared_face_engine, real_engine)
    harness = Harness(session_factory, engine, tmp_path, challenge="turn_right,turn_left")
    harness.watcher = engine
    harness.clip = require_data("videos", CLM)
    with harness.runtime.transaction() as session:
        partner = PartnerService(harness.runtime, session).register("Example Mobile")
    harness.auth = (partner.client_id, partner.secret)
    return harness


def test_a_verification_answers_promptly_and_holds_no_transaction_during_face_work(watched):
    h = watched
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(h.clip, 3.0))
    make_citizen(h, id_number=ID_NUMBER, name=NAME)
    challenge_id = h.client.post("/api/v1/verifications/challenge", auth=h.auth).json()["challenge_id"]
    frames = clip_frames(h.clip, 0.0, 2.8)
    files = [("frames", (f"{i}.jpg", frame.data, "image/jpeg")) for i, frame in enumerate(frames)]
    data = {"challenge_id": challenge_id, "id_number": ID_NUMBER, "name": NAME,
            "timestamps_ms": ",".join(str(frame.t_ms) for frame in frames)}

    started = time.monotonic()
    response = h.client.post("/api/v1/verifications", files=files, data=data, auth=h.auth)
    assert response.status_code == 200 and response.json()["result"] == "match", response.text
    assert time.monotonic() - started < 20  # SQLite's lock timeout is 30 s: a self-deadlock shows
    assert h.watcher.open_while_working and set(h.watcher.open_while_working) == {0}
