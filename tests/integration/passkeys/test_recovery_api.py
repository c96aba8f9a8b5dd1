"""Recovery over HTTP with a real clip: face re-verification signs the citizen in with amr face,
and that session may add a new passkey; failures are counted with enrolment's."""

from __future__ import annotations

import sqlalchemy as sa

from civicid.enrolment.models import Attempt
from civicid.enrolment.recovery import RecoverySession
from tests.conftest import require_data
from tests.support.clips import clip_frames, still
from tests.support.harness import CLM, make_citizen
from tests.support.softauthn import SoftAuthenticator

ID_NUMBER = "11010519900307005X"
NAME = "Li Ming"


def test_recovery_by_face_then_a_new_passkey(harness_factory, session_factory):
    clip = require_data("videos", CLM)
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(clip, 3.0))
    make_citizen(h, id_number=ID_NUMBER, name=NAME)

    started = h.client.post("/api/v1/recovery", json={"id_number": ID_NUMBER, "name": "li ming"})
    assert started.status_code == 201, started.text
    assert started.json()["challenge"]["actions"] == ["turn_right", "turn_left"]
    decided = h.post_frames(f"/api/v1/recovery/{started.json()['session_id']}/frames", clip_frames(clip, 0.0, 2.8))
    assert decided.status_code == 200 and decided.json()["decision"] == "recovered", decided.text

    options = h.client.post("/api/v1/passkeys/registration/options").json()
    credential = SoftAuthenticator(origin="http://localhost:8000").create(options["publicKey"])
    added = h.client.post("/api/v1/passkeys/registration/verify",
                          json={"ceremony_id": options["ceremony_id"], "credential": credential})
    assert added.status_code == 201, added.text
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RecoverySession)) == 0

    again = h.post_frames(f"/api/v1/recovery/{started.json()['session_id']}/frames", clip_frames(clip, 0.0, 2.8))
    assert again.status_code == 404 and again.json()["error"]["code"] == "recovery.session_not_found"


def test_recovery_refuses_strangers_and_counts_failed_faces(harness_factory, session_factory):
    clip = require_data("videos", CLM)
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(clip, 3.0))

    wrong_name = h.client.post("/api/v1/recovery", json={"id_number": ID_NUMBER, "name": "Wang Fang"})
    assert wrong_name.json()["error"]["code"] == "enrolment.not_found_or_mismatch"

    make_citizen(h, id_number=ID_NUMBER, name=NAME)
    session_id = h.client.post("/api/v1/recovery", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    rejected = h.post_frames(f"/api/v1/recovery/{session_id}/frames", clip_frames(clip, 2.9, 5.5))
    assert rejected.json()["decision"] == "rejected"
    assert "liveness.action_missing:turn_right" in rejected.json()["reasons"]
    assert "civicid_session" not in rejected.cookies
    with session_factory() as session:
        # the wrong name and the failed face, each per number and per client
        counted = sa.select(sa.func.count()).select_from(Attempt).where(Attempt.scope.in_(("enrol_id", "enrol_client")))
        assert session.scalar(counted) == 4  # attempts that count


def test_whether_a_number_has_a_civicid_is_told_only_to_its_holder_s_live_face(harness_factory):
    clip = require_data("videos", CLM)
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(clip, 3.0))
    # No CivicID yet: the start answers exactly as for an enrolled number (a stranger learns nothing) ...
    started = h.client.post("/api/v1/recovery", json={"id_number": ID_NUMBER, "name": NAME})
    assert started.status_code == 201 and set(started.json()) == {"session_id", "challenge", "upload"}
    # ... a face that is not the registry photo's is rejected like any failed face ...
    stranger = h.post_frames(f"/api/v1/recovery/{started.json()['session_id']}/frames", clip_frames(clip, 2.9, 5.5))
    assert stranger.status_code == 200 and stranger.json()["decision"] == "rejected"
    # ... and only the holder, live, is told to enrol instead.
    again = h.client.post("/api/v1/recovery", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    holder = h.post_frames(f"/api/v1/recovery/{again}/frames", clip_frames(clip, 0.0, 2.8))
    assert holder.status_code == 404 and holder.json()["error"]["code"] == "recovery.not_enrolled"
