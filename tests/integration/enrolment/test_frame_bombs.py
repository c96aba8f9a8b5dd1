"""A decompression bomb as live frames is refused before anything is decoded.

The review: a 105 KB PNG of 6000x6000 (36 MP, under the photo limit) sent as 20 enrolment frames
took the server from 156 MB to 2.6 GB RSS and 55 s; 150 of them would need about 18 GB. Live
frames are camera frames (CIVICID_LIVE_FRAME_MAX_PIXELS, 2 MP by default).
"""

from __future__ import annotations

import io
import resource

import pytest
from PIL import Image

from civicid.enrolment.frames import Frame
from civicid.partners.service import PartnerService
from tests.support.harness import make_citizen

ID_NUMBER, NAME = "11010519900307005X", "Li Ming"
FRAMES = 150


@pytest.fixture(scope="module")
def bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6000, 6000), (128, 128, 128)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bombs(data: bytes) -> list[Frame]:
    return [Frame(i * 66, data) for i in range(FRAMES)]


def assert_refused(response, before_mb: float) -> None:
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "enrolment.frame_too_large"
    assert rss_mb() - before_mb < 200


def test_the_bomb_is_small_on_the_wire_and_huge_decoded(bomb: bytes) -> None:
    assert len(bomb) < 200_000 and FRAMES * len(bomb) < 20 * 1024 * 1024  # under every upload cap


@pytest.mark.parametrize("route", ["/api/v1/enrolments", "/api/v1/recovery"])
def test_bomb_frames_are_refused_with_a_typed_413(harness_factory, bomb: bytes, route: str) -> None:
    h = harness_factory(challenge="blink")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    if route.endswith("recovery"):
        make_citizen(h, id_number=ID_NUMBER, name=NAME)
    session_id = h.client.post(route, json={"id_number": ID_NUMBER, "name": NAME}).json()["session_id"]
    before = rss_mb()
    assert_refused(h.post_frames(f"{route}/{session_id}/frames", bombs(bomb)), before)


def test_bomb_frames_to_the_partner_api_are_refused_with_a_typed_413(harness_factory, bomb: bytes) -> None:
    h = harness_factory(challenge="blink")
    h.add_person(id_number=ID_NUMBER, name=NAME, photo=b"unused")
    with h.runtime.transaction() as session:
        partner = PartnerService(h.runtime, session).register("Example Mobile")
    auth = (partner.client_id, partner.secret)
    challenge_id = h.client.post("/api/v1/verifications/challenge", auth=auth).json()["challenge_id"]
    before = rss_mb()
    frames = bombs(bomb)
    response = h.client.post(
        "/api/v1/verifications", auth=auth,
        files=[("frames", (f"{i:03d}.png", frame.data, "image/png")) for i, frame in enumerate(frames)],
        data={"timestamps_ms": ",".join(str(frame.t_ms) for frame in frames), "challenge_id": challenge_id,
              "id_number": ID_NUMBER, "name": NAME})
    assert_refused(response, before)


def test_a_frame_at_the_limit_passes_the_header_check_and_one_pixel_more_does_not(harness_factory) -> None:
    from civicid.enrolment.errors import FrameTooLarge
    from civicid.enrolment.service import check_frame_limits

    h = harness_factory(live_frame_max_pixels=100 * 100)

    def png(width: int, height: int) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (width, height)).save(buffer, "PNG")
        return buffer.getvalue()

    check_frame_limits([Frame(0, png(100, 100))], settings=h.settings)
    with pytest.raises(FrameTooLarge):
        check_frame_limits([Frame(0, png(101, 100))], settings=h.settings)
