"""Enrolment over HTTP with real clips: ID number → registry → challenge → frames → citizen."""

from __future__ import annotations

import sqlalchemy as sa

from civicid.enrolment.frames import Frame
from civicid.enrolment.models import Attempt, EnrolmentSession
from civicid.identity.models import Citizen
from tests.conftest import require_data
from tests.support.harness import CLM
from tests.support.clips import clip_frames, still

ID_NUMBER = "11010519900307005X"  # valid GB 11643 (check digit X); born 1990-03-07, male
NAME = "Li Ming"


def _clm():
    return require_data("videos", CLM)


def test_genuine_clip_enrols_and_leaves_only_ciphertext(harness_factory, session_factory):
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(_clm(), 3.0))

    started = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": " li  MING "})
    assert started.status_code == 201, started.text
    assert started.json()["challenge"]["actions"] == ["turn_right", "turn_left"]

    decided = h.post_frames(f"/api/v1/enrolments/{started.json()['session_id']}/frames", clip_frames(_clm(), 0.0, 2.8))
    body = decided.json()
    assert decided.status_code == 200 and body["decision"] == "enrolled", body
    assert len(body["network_id"]) == 26 and body["session_token"]
    with session_factory() as session:
        citizen = session.scalar(sa.select(Citizen))
        assert citizen.network_id == body["network_id"] and citizen.template_ct is None
        assert session.scalar(sa.select(sa.func.count()).select_from(EnrolmentSession)) == 0
        assert NAME.encode() not in citizen.name_ct
        assert counted(session, "enrol_id", "enrol_client") == 0  # the session's attempt ended well


def test_unknown_number_and_wrong_name_get_the_same_answer(harness_factory):
    h = harness_factory()
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    wrong_name = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": "Wang Fang"})
    unknown = h.client.post("/api/v1/enrolments", json={"id_number": "110105199003070025", "name": NAME})
    assert wrong_name.status_code == unknown.status_code == 404
    assert wrong_name.json() == unknown.json()
    assert wrong_name.json()["error"]["code"] == "enrolment.not_found_or_mismatch"


def test_invalid_number_is_a_typed_error(harness_factory):
    response = harness_factory().client.post("/api/v1/enrolments", json={"id_number": "110105199003070012", "name": NAME})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "id_number.checksum"


def test_clip_without_the_challenged_action_is_rejected_and_counted(harness_factory, session_factory):
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(_clm(), 0.1))
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    body = h.post_frames(f"/api/v1/enrolments/{session_id}/frames", clip_frames(_clm(), 2.9, 5.5)).json()
    assert body["decision"] == "rejected"
    assert "liveness.action_missing:turn_right" in body["reasons"]
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Citizen)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(EnrolmentSession)) == 0
        assert counted(session, "enrol_id", "enrol_client") == 2  # the failure, per number and per client
        assert counted(session, "enrol_start") == 1


def counted(session, *scopes: str) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(Attempt.scope.in_(scopes)))


def test_abandoned_sessions_count_as_failures_so_restarting_until_a_challenge_fits_is_locked(harness_factory):
    h = harness_factory(enrolment_failures_per_id_per_day=3)
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(_clm(), 0.1))
    for _ in range(3):  # three sessions started, none answered
        assert h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).status_code == 201
    fourth = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME})
    assert fourth.status_code == 429
    assert fourth.json()["error"]["code"] == "enrolment.locked"


def test_starts_are_limited_per_client(harness_factory):
    h = harness_factory(enrolment_starts_per_client_per_hour=2, enrolment_failures_per_id_per_day=50,
                        enrolment_failures_per_client_per_hour=50)
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(_clm(), 0.1))
    codes = [h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).status_code
             for _ in range(3)]
    assert codes == [201, 201, 429]


def test_a_still_photo_repeated_as_every_frame_fails_liveness(harness_factory):
    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(_clm(), 3.0))
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    photo = still(_clm(), 0.1)
    frames = [Frame(i * 66, photo) for i in range(30)]
    body = h.post_frames(f"/api/v1/enrolments/{session_id}/frames", frames).json()
    assert body["decision"] == "rejected"
    assert "liveness.static_sequence" in body["reasons"]


def test_another_persons_registry_photo_does_not_match(harness_factory, faces_dir):
    h = harness_factory(challenge="turn_right,turn_left")
    other = sorted((faces_dir / "images" / "obama").iterdir())[0].read_bytes()
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=other)
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    body = h.post_frames(f"/api/v1/enrolments/{session_id}/frames", clip_frames(_clm(), 0.0, 2.8)).json()
    assert body == {"decision": "rejected", "reasons": ["match.distance_above_threshold"]}


def test_five_failures_lock_the_number_with_retry_after(harness_factory):
    h = harness_factory()
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    for _ in range(5):
        assert h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": "Wrong"}).status_code == 404
    locked = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "enrolment.locked"
    assert int(locked.headers["Retry-After"]) == 24 * 3600  # the per-number lock binds
    h.clock.advance(hours=1, seconds=1)  # the per-client lock lifts after an hour ...
    still_locked = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME})
    assert still_locked.status_code == 429  # ... the per-number lock only after 24 h
    h.clock.advance(hours=23)
    assert h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).status_code == 201


def test_expired_session_is_refused(harness_factory):
    h = harness_factory()
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    h.clock.advance(seconds=121)
    response = h.post_frames(f"/api/v1/enrolments/{session_id}/frames", [Frame(0, b"\xff\xd8\xff")])
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "enrolment.session_expired"


def test_upload_limits_are_enforced_before_decoding(harness_factory):
    h = harness_factory()
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    session_id = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    url = f"/api/v1/enrolments/{session_id}/frames"
    too_many = h.post_frames(url, [Frame(i, b"x") for i in range(151)])
    too_big = h.post_frames(url, [Frame(0, b"x" * (1024 * 1024 + 1))])
    no_stamps = h.client.post(url, files=[("frames", ("a.jpg", b"x", "image/jpeg"))])
    not_multipart = h.client.post(url, json={"frames": []})
    for response in (too_many, too_big, no_stamps, not_multipart):
        assert response.status_code == 422 and response.json()["error"]["code"] == "enrolment.frames_invalid"


def test_abandoned_sessions_are_shredded_when_they_expire(harness_factory, session_factory):
    from civicid.vault.models import WrappedDataKey

    h = harness_factory()
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    for _ in range(3):
        h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME})
    h.clock.advance(seconds=121)
    h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME})
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(EnrolmentSession)) == 1
        owners = session.scalars(sa.select(WrappedDataKey.owner)).all()
        assert sum(owner.startswith("enrolment:") for owner in owners) == 1


def test_an_enrolled_number_is_told_only_to_its_holder_s_live_face_and_tries_are_in_their_history(
        harness_factory, session_factory):
    from tests.support.harness import make_citizen

    h = harness_factory(challenge="turn_right,turn_left")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(_clm(), 3.0))
    citizen_id = make_citizen(h, id_number=ID_NUMBER, name=NAME)
    started = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME})
    assert started.status_code == 201  # as for a number without a CivicID
    stranger = h.post_frames(f"/api/v1/enrolments/{started.json()['session_id']}/frames", clip_frames(_clm(), 2.9, 5.5))
    assert stranger.status_code == 200 and stranger.json()["decision"] == "rejected"
    again = h.client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    holder = h.post_frames(f"/api/v1/enrolments/{again}/frames", clip_frames(_clm(), 0.0, 2.8))
    assert holder.status_code == 409 and holder.json()["error"]["code"] == "enrolment.already_enrolled"
    tags = h.history_tags(citizen_id)
    assert tags.count("system:citizen:enrolment_failed") == 2
