"""The SIM-registration check: "is this live person the holder of X?" — yes or no, never data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from civicid.enrolment.frames import Frame
from civicid.partners.models import Partner, Verification
from civicid.partners.service import PartnerService
from tests.conftest import require_data
from tests.support.clips import clip_frames, still, tiny_jpeg
from tests.support.harness import CLM, make_citizen


ID_NUMBER, NAME = "11010519900307005X", "Li Ming"


@pytest.fixture
def h(harness_factory):
    harness = harness_factory(challenge="turn_right,turn_left", partner_requests_per_id_per_hour=3)
    harness.clip = require_data("videos", CLM)
    with harness.runtime.transaction() as session:
        partner = PartnerService(harness.runtime, session).register("Example Mobile")
    harness.auth = (partner.client_id, partner.secret)
    return harness


def _verify(h, frames, *, name=NAME, challenge_id=None, auth=None):
    challenge_id = challenge_id or h.client.post("/api/v1/verifications/challenge", auth=h.auth).json()["challenge_id"]
    files = [("frames", (f"{i}.jpg", frame.data, "image/jpeg")) for i, frame in enumerate(frames)]
    data = {"challenge_id": challenge_id, "id_number": ID_NUMBER, "name": name,
            "timestamps_ms": ",".join(str(frame.t_ms) for frame in frames)}
    return h.client.post("/api/v1/verifications", files=files, data=data, auth=auth or h.auth)


def test_live_holder_matches_and_the_citizen_sees_the_check(h, session_factory):
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(h.clip, 3.0))
    citizen_id = make_citizen(h, id_number=ID_NUMBER, name=NAME)
    challenge = h.client.post("/api/v1/verifications/challenge", auth=h.auth).json()
    assert challenge["actions"] == ["turn_right", "turn_left"]

    response = _verify(h, clip_frames(h.clip, 0.0, 2.8), challenge_id=challenge["challenge_id"])
    body = response.json()
    assert response.status_code == 200 and body["result"] == "match", body
    assert set(body) == {"verification_id", "result", "reasons"}  # nothing personal comes back
    with session_factory() as session:
        assert session.get(Verification, body["verification_id"]).citizen_id == citizen_id
        [event] = session.execute(sa.text("SELECT tag, citizen_ref FROM audit_entries")).all()
        assert tuple(event) == ("partner:citizen:verify", citizen_id)


def test_wrong_name_is_not_found_or_mismatch(h):
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    body = _verify(h, [Frame(0, tiny_jpeg())], name="Wang Fang").json()
    assert body["result"] == "not_found_or_mismatch"


def test_a_replayed_still_fails_liveness(h):
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=still(h.clip, 3.0))
    photo = still(h.clip, 0.1)
    body = _verify(h, [Frame(i * 66, photo) for i in range(30)]).json()
    assert body["result"] == "liveness_failed" and "liveness.static_sequence" in body["reasons"]


def test_someone_else_is_no_match(h, faces_dir):
    other = sorted((faces_dir / "images" / "obama").iterdir())[0].read_bytes()
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=other)
    assert _verify(h, clip_frames(h.clip, 0.0, 2.8)).json()["result"] == "no_match"


def test_partner_authentication(h):
    assert h.client.post("/api/v1/verifications/challenge").json()["error"]["code"] == "partner.unauthorized"
    wrong = h.client.post("/api/v1/verifications/challenge", auth=(h.auth[0], "not-the-secret"))
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
    with h.runtime.transaction() as session:
        stored = session.scalar(sa.select(Partner.secret_hash))
    assert h.auth[1] not in stored


def test_a_challenge_is_single_use_and_bound_to_its_partner(h):
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    challenge_id = h.client.post("/api/v1/verifications/challenge", auth=h.auth).json()["challenge_id"]
    assert _verify(h, [Frame(0, tiny_jpeg())], name="Wrong", challenge_id=challenge_id).status_code == 200
    again = _verify(h, [Frame(0, tiny_jpeg())], name="Wrong", challenge_id=challenge_id)
    assert again.status_code == 410 and again.json()["error"]["code"] == "verification.challenge_invalid"
    with h.runtime.transaction() as session:
        other = PartnerService(h.runtime, session).register("Other Platform")
    theirs = h.client.post("/api/v1/verifications/challenge", auth=(other.client_id, other.secret)).json()
    assert _verify(h, [Frame(0, tiny_jpeg())], challenge_id=theirs["challenge_id"]).status_code == 410


def test_rate_limit_per_id_number(h):
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    for _ in range(3):
        assert _verify(h, [Frame(0, tiny_jpeg())], name="Wrong").status_code == 200
    limited = _verify(h, [Frame(0, tiny_jpeg())], name="Wrong")
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "verification.rate_limited"
    assert int(limited.headers["Retry-After"]) == 3600


def _citizen_events(session_factory) -> list[tuple[str, str, str]]:
    from civicid.audit.events import LogEvent

    with session_factory() as session:
        events = [LogEvent.from_bytes(data) for data in session.scalars(
            sa.text("SELECT data FROM audit_entries ORDER BY idx")).all()]
    return [(event.tag.value, event.citizen_ref, event.purpose) for event in events]


def test_refused_verifications_of_an_enrolled_citizen_are_in_their_history(h, session_factory):
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    citizen_id = make_citizen(h, id_number=ID_NUMBER, name=NAME)
    challenge_id = h.client.post("/api/v1/verifications/challenge", auth=h.auth).json()["challenge_id"]
    assert _verify(h, [Frame(0, tiny_jpeg())], name="Wrong", challenge_id=challenge_id).status_code == 200
    assert _verify(h, [Frame(0, tiny_jpeg())], name="Wrong", challenge_id=challenge_id).status_code == 410  # reused
    assert _verify(h, [Frame(0, tiny_jpeg())], name="Wrong").status_code == 200
    assert _verify(h, [Frame(0, tiny_jpeg())], name="Wrong").status_code == 429  # 3 requests an hour per number

    events = _citizen_events(session_factory)
    assert [(tag, ref) for tag, ref, _ in events] == [
        ("partner:citizen:verify", citizen_id), ("partner:citizen:verify_refused", citizen_id),
        ("partner:citizen:verify", citizen_id), ("partner:citizen:verify_refused", citizen_id)]
    assert events[1][2] == "Example Mobile: identity verification refused (verification.challenge_invalid)"
    assert events[3][2] == "Example Mobile: identity verification refused (verification.rate_limited)"


def test_refusals_for_a_number_nobody_enrolled_log_nothing(h, session_factory):
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    for _ in range(4):
        _verify(h, [Frame(0, tiny_jpeg())], name="Wrong")
    assert _citizen_events(session_factory) == []


def test_the_upload_is_not_read_before_the_partner_is_authenticated(h):
    files = [("frames", ("0.jpg", b"x" * 1024, "image/jpeg"))]
    data = {"challenge_id": "c", "id_number": ID_NUMBER, "name": NAME, "timestamps_ms": "0"}
    response = h.client.post("/api/v1/verifications", files=files, data=data, auth=(h.auth[0], "wrong"))
    assert response.status_code == 401 and response.json()["error"]["code"] == "partner.unauthorized"
