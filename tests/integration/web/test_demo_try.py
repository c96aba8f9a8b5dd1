"""The try-it page of demo mode and its API (web.routes.demo) on the test database (SQLite and
PostgreSQL) with the real face engine: one face in, a registry person with a generated number out;
everything else a typed error; per-client limits; absent outside demo mode."""

from __future__ import annotations

import base64
import io
from datetime import date

import pytest
from PIL import Image

from civicid.ids import parse_id_number
from civicid.registry.demo import DemoRegistry
from civicid.settings import Settings
from civicid.web.app import create_app
from civicid.web.routes.demo import photo_max_bytes
from tests.support.harness import NOW

API = "/api/v1/demo/registry"
TODAY = NOW.date()


def camera_still(path, *, max_side: int = 640, max_bytes: int | None = None, qualities=(90, 80, 70, 60)) -> bytes:
    """What the page (static/demo/try.js) sends: the image scaled to at most ``max_side`` pixels,
    as the best JPEG quality within ``max_bytes`` (default: the server's limit), else smaller."""
    limit = max_bytes if max_bytes is not None else photo_max_bytes(Settings())
    with Image.open(path) as original:
        original = original.convert("RGB")
        scale = min(1.0, max_side / max(original.size))
        for _ in range(6):
            image = original.resize((max(1, round(original.width * scale)), max(1, round(original.height * scale))))
            for quality in qualities:
                out = io.BytesIO()
                image.save(out, "JPEG", quality=quality)
                if len(out.getvalue()) <= limit:
                    return out.getvalue()
            scale *= 0.8
    raise AssertionError(f"{path} does not fit in {limit} bytes")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def h(harness_factory):
    return harness_factory(demo=True)


@pytest.fixture
def face(faces_dir) -> bytes:
    return camera_still(faces_dir / "multi" / "einstein.jpeg")


def people(h) -> list:
    with h.runtime.transaction() as session:
        return DemoRegistry(session, h.runtime.vault(session), h.clock).entries()


def test_a_photo_with_one_face_becomes_a_registry_person_who_can_start_an_enrolment(h, face):
    response = h.client.post(API, json={"name": "  Albert Einstein ", "photo_jpeg_b64": b64(face)})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    number = parse_id_number(body["id_number"], today=TODAY)
    assert body["name"] == "Albert Einstein" and body["birth_date"] == number.birth_date.isoformat()
    assert 18 <= number.age_on(TODAY) <= 80  # no birth date given: an adult's

    [person] = people(h)
    assert (person.id_number, person.name, person.enrolled) == (number.value, "Albert Einstein", False)
    with h.runtime.transaction() as session:
        assert DemoRegistry(session, h.runtime.vault(session), h.clock).lookup(number.value).photo == face

    started = h.client.post("/api/v1/enrolments", json={"id_number": number.value, "name": "Albert Einstein"})
    assert started.status_code == 201, started.text


def test_the_birth_date_given_is_the_one_the_number_encodes(h, face):
    response = h.client.post(API, json={"name": "Li Ming", "birth_date": "1987-02-28", "photo_jpeg_b64": b64(face)})
    assert response.status_code == 201, response.text
    assert parse_id_number(response.json()["id_number"], today=TODAY).birth_date == date(1987, 2, 28)
    assert response.json()["birth_date"] == "1987-02-28"


@pytest.mark.parametrize(("file", "status", "code"), [
    ("group_017_0.jpg", 422, "face.not_found"),
    ("two_people.jpg", 422, "face.multiple"),
    ("friends_multiface.jpg", 422, "face.multiple"),
])
def test_a_photo_without_exactly_one_face_is_refused(h, faces_dir, file, status, code):
    response = h.client.post(API, json={"name": "X Y", "photo_jpeg_b64": b64(camera_still(faces_dir / "multi" / file))})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert people(h) == []


@pytest.mark.parametrize(("photo", "status", "code"), [
    ("not base64!", 422, "registry.photo_invalid"),
    (b64(b"plain text, not an image"), 415, "image.unsupported_format"),
    (b64(b"\xff\xd8\xff\xe0" + b"\x00" * 40), 422, "image.corrupt"),
])
def test_a_photo_that_is_not_an_image_is_refused(h, photo, status, code):
    response = h.client.post(API, json={"name": "X Y", "photo_jpeg_b64": photo})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    assert people(h) == []


def _dark(image: Image.Image) -> Image.Image:
    from PIL import ImageEnhance

    return ImageEnhance.Brightness(image).enhance(0.3)


@pytest.mark.parametrize(("transform", "flag"), [
    (lambda image: image.resize((120, 120)), "face_too_small"),
    (_dark, "underexposed"),
])
def test_a_face_of_poor_quality_is_refused_with_its_quality_flags(h, faces_dir, tmp_path, transform, flag):
    with Image.open(faces_dir / "multi" / "einstein.jpeg") as image:
        path = tmp_path / "poor.png"
        transform(image.convert("RGB")).save(path)
    response = h.client.post(API, json={"name": "X Y", "photo_jpeg_b64": b64(camera_still(path))})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "registry.photo_quality" and flag in error["detail"]["flags"]
    assert people(h) == []


def test_a_webcam_still_read_as_pitched_is_accepted(h, videos_dir):
    """The recording's first frame: a frontal face from a camera below the eyes, which the pose
    estimate reads as ~29 degrees of pitch (not_frontal): not a reason to refuse a registry photo."""
    from civicid.face.video import sample_frames
    from tests.e2e.enrol_http import CLIP

    first = sample_frames(videos_dir / CLIP, fps=5, start_s=0, end_s=0.2)[0].jpeg
    response = h.client.post(API, json={"name": "Zhou Xiaoyu", "photo_jpeg_b64": b64(first)})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"name": "", "photo_jpeg_b64": "AAAA"}, 422, "request.invalid"),
    ({"name": "   ", "photo_jpeg_b64": "AAAA"}, 422, "request.invalid"),
    ({"name": "x" * 201, "photo_jpeg_b64": "AAAA"}, 422, "request.invalid"),
    ({"name": "X Y", "birth_date": "1987-02-30", "photo_jpeg_b64": "AAAA"}, 422, "request.invalid"),
    ({"name": "X Y", "birth_date": "1899-12-31", "photo_jpeg_b64": "AAAA"}, 422, "id_number.birth_date"),
    ({"name": "X Y", "birth_date": "2026-11-03", "photo_jpeg_b64": "AAAA"}, 422, "id_number.birth_date"),
])
def test_invalid_fields_are_typed_errors_before_any_face_work(h, body, status, code):
    response = h.client.post(API, json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text


def test_a_photo_larger_than_the_body_limit_is_refused(h, faces_dir):
    large = camera_still(faces_dir / "multi" / "couple.jpg", max_side=2000, max_bytes=10**7, qualities=(95,))
    assert len(large) > 64 * 1024
    response = h.client.post(API, json={"name": "X Y", "photo_jpeg_b64": b64(large)})
    assert (response.status_code, response.json()["error"]["code"]) == (413, "request.too_large")


def test_each_client_may_create_a_few_people_an_hour_and_refused_photos_do_not_count(h, face, faces_dir,
                                                                                    monkeypatch):
    monkeypatch.setattr("civicid.web.routes.demo.PEOPLE_PER_CLIENT_PER_HOUR", 2)
    monkeypatch.setattr("civicid.web.routes.demo.TRIES_PER_CLIENT_PER_HOUR", 4)
    no_face = b64(camera_still(faces_dir / "multi" / "group_017_0.jpg"))
    assert h.client.post(API, json={"name": "A", "photo_jpeg_b64": no_face}).status_code == 422
    for name in ("B", "C"):
        assert h.client.post(API, json={"name": name, "photo_jpeg_b64": b64(face)}).status_code == 201
    refused = h.client.post(API, json={"name": "D", "photo_jpeg_b64": b64(face)})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "registry.demo_people_limit"
    assert int(refused.headers["retry-after"]) > 0
    # the fourth try was counted (a refused person still costs a try): the fifth is refused
    # even with a photo without a face, before any face work
    assert h.client.post(API, json={"name": "E", "photo_jpeg_b64": no_face}).status_code == 429
    assert sorted(p.name for p in people(h)) == ["B", "C"]


def test_the_page_is_served_with_labelled_inputs_and_the_script(h):
    page = h.client.get("/demo/try")
    assert page.status_code == 200
    html = page.text
    for needle in ('for="try-name"', 'autocomplete="name"', 'for="try-birth-date"', 'autocomplete="bday"',
                   'for="try-file"', 'role="status"', f'data-api="{API}"', 'href="/enrol"',
                   '<script src="/static/citizen/webauthn.js"></script>\n<script src="/static/demo/try.js">'):
        assert needle in html, needle
    assert "camera=(self)" in page.headers["permissions-policy"]
    assert h.client.get("/static/demo/try.js").status_code == 200


def test_the_route_is_in_the_openapi_document_in_demo_mode(tmp_path):
    document = create_app(Settings(home=tmp_path, environment="test", demo=True, api_docs=True)).openapi()
    operation = document["paths"][API]["post"]
    assert set(operation["responses"]) >= {"201", "413", "415", "422", "429"}
    assert "/demo/try" not in document["paths"]  # a page, not an API operation


@pytest.mark.parametrize("settings", [{"demo": False}, {"demo": True, "registry_url": "https://registry.example"}])
def test_outside_demo_mode_neither_the_page_nor_the_api_exists(harness_factory, face, tmp_path, settings):
    h = harness_factory(api_docs=True, **settings)
    assert h.client.get("/demo/try").status_code == 404
    response = h.client.post(API, json={"name": "X Y", "photo_jpeg_b64": b64(face)})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "request.not_found")
    assert API not in h.client.get("/openapi.json").json()["paths"]
