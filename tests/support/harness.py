"""An app on the test database with the real face engine, fake keys, pinned time and randomness."""

from __future__ import annotations

import random
from datetime import date, datetime, timezone

from fastapi.testclient import TestClient

from civicid.clock import FixedClock
from civicid.registry.demo import DemoRegistry
from civicid.registry.interfaces import RegistryRecord
from civicid.runtime import build_runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
CLM = "genuine_webcam_blink_turn_clm.mp4"  # turns at 0.5–1.2 s (nose to image-left) and 1.9–2.4 s


class Harness:
    def __init__(self, session_factory, engine, tmp_path, *, seed: int = 0, challenge: str | None = None,
                 **settings) -> None:
        """``challenge`` pins the liveness challenge (CIVICID_TEST_CHALLENGE, test environment
        only) so that a recorded clip can answer it; otherwise it is drawn from ``seed``."""
        self.clock = FixedClock(NOW)
        self.keys = FakeKeyProvider()
        self.settings = Settings(home=tmp_path, enrolment_min_response_s=0, environment="test",
                                 test_challenge=challenge, **settings)
        self.runtime = build_runtime(self.settings, sessions=session_factory, keys=self.keys, clock=self.clock,
                                     face_engine=engine, rng=random.Random(seed))
        self.client = TestClient(create_app(self.settings, runtime=self.runtime))

    def add_person(self, *, id_number: str, name: str, photo: bytes, birth_date=date(1990, 3, 7)) -> None:
        with self.runtime.transaction() as session:
            DemoRegistry(session, self.runtime.vault(session), self.clock).add(
                RegistryRecord(id_number=id_number, name=name, birth_date=birth_date, sex="M", photo=photo))

    def history_tags(self, citizen_id: str) -> list[str]:
        """The tags of the citizen's transparency-log history (sequenced first)."""
        self.runtime.sequence_log()
        with self.runtime.transaction() as session:
            _, items, pending = self.runtime.access_log(session).history(citizen_id)
        return [item.event.tag.value for item in items] + [event.tag.value for event in pending]

    def post_frames(self, url: str, frames, **fields):
        files = [("frames", (f"{i:03d}.jpg", frame.data, "image/jpeg")) for i, frame in enumerate(frames)]
        data = {"timestamps_ms": ",".join(str(frame.t_ms) for frame in frames), **fields}
        return self.client.post(url, files=files, data=data)


def make_citizen(harness: "Harness", *, id_number: str, name: str, birth_date=date(1990, 3, 7)) -> str:
    """A citizen as a successful enrolment leaves it (for tests that are not about enrolment)."""
    from civicid.identity.service import CitizenService

    with harness.runtime.transaction() as session:
        record = RegistryRecord(id_number=id_number, name=name, birth_date=birth_date, sex="M", photo=b"")
        return CitizenService(session, harness.runtime.vault(session), harness.clock).create(
            record, verification="face-liveness").id
