"""One request body limit for every route, checked at the ASGI boundary: the declared length
before anything is read, the streamed length while reading, credentials before the body."""

from __future__ import annotations

import base64

from civicid.web.uploads import FORM_OVERHEAD_BYTES
from tests.integration.web.asgi import call, unsafe_routes

JSON_LIMIT = 64 * 1024
UPLOADS = {("POST", "/api/v1/enrolments/x/frames"), ("POST", "/api/v1/recovery/x/frames"),
           ("POST", "/api/v1/verifications")}
BASIC = "Basic " + base64.b64encode(b"nobody:wrong").decode()


def credentials_for(path: str) -> list[tuple[str, str]]:
    """Made-up credentials of the right kind, so that the limit, not their absence, answers."""
    if path.startswith("/api/v1/staff/"):
        return [("authorization", "Bearer nobody")]
    if path.startswith("/api/v1/verifications"):
        return [("authorization", BASIC)]
    return []


def test_an_unauthenticated_staff_read_is_refused_before_its_body_is_read(client):
    """The review's case: a large body without credentials was parsed before the 401."""
    body = (b" " * 65536 for _ in range(128))  # 8 MiB
    reply = call(client.app, "POST", "/api/v1/staff/citizen-reads", chunks=body,
                 headers=[("content-type", "application/json"), ("content-length", str(128 * 65536))])
    assert (reply.status, reply.code) == (401, "staff.unauthorized")
    assert reply.pulled == 0


def test_a_declared_length_over_the_limit_is_refused_before_reading_on_every_route(client):
    routes = [route for route in unsafe_routes(client.app) if route not in UPLOADS]
    assert ("POST", "/api/v1/staff/citizen-reads") in routes and ("POST", "/api/v1/signin/verify") in routes
    for method, path in routes:
        reply = call(client.app, method, path, chunks=[b" " * 65536] * 2,
                     headers=[("content-type", "application/json"), ("content-length", str(JSON_LIMIT + 1)),
                              *credentials_for(path)])
        assert (reply.status, reply.code, reply.pulled) == (413, "request.too_large", 0), (method, path, reply)
        assert str(JSON_LIMIT) in reply.json()["error"]["message"]


def test_a_streamed_body_is_cut_off_at_the_limit_on_every_route(client):
    """No Content-Length (chunked): the limit holds while the body is read. A route that never
    reads its body pulls nothing."""
    chunk = 16 * 1024
    for method, path in unsafe_routes(client.app):
        if (method, path) in UPLOADS:
            continue
        reply = call(client.app, method, path, chunks=[b" " * chunk] * 64,
                     headers=[("content-type", "application/json"), *credentials_for(path)])
        assert reply.pulled <= JSON_LIMIT + chunk, (method, path, reply.pulled)
        assert (reply.status, reply.code) == (413, "request.too_large") or reply.pulled == 0, (method, path, reply)


def test_frame_uploads_have_their_own_limit(make_client):
    client = make_client(enrolment_max_total_bytes=128 * 1024)
    cap = 128 * 1024 + FORM_OVERHEAD_BYTES
    frames = [("frames", (f"{i}.jpg", b"\xff" * 50_000, "image/jpeg")) for i in range(2)]
    # 100 kB: above the JSON routes' limit, within the upload's: the handler answers (no such session)
    within = client.post("/api/v1/enrolments/nosuch/frames", files=frames, data={"timestamps_ms": "0,40"})
    assert within.status_code == 404 and within.json()["error"]["code"] == "enrolment.session_not_found"
    for path in ("/api/v1/enrolments/x/frames", "/api/v1/recovery/x/frames"):
        declared = call(client.app, "POST", path, chunks=[b"-" * 65536] * 8,
                        headers=[("content-type", "multipart/form-data; boundary=b"), ("content-length", str(cap + 1))])
        assert (declared.status, declared.code, declared.pulled) == (413, "request.too_large", 0), path
        streamed = call(client.app, "POST", path, chunks=[b"-" * 65536] * 16,
                        headers=[("content-type", "multipart/form-data; boundary=b")])
        assert (streamed.status, streamed.code) == (413, "request.too_large"), path
        assert streamed.pulled <= cap + 65536


def test_the_json_limit_is_a_setting(make_client):
    client = make_client(max_body_bytes=1024)
    lookup = {"id_number": "1" * 18, "case_reference": "c", "justification": "j" * 1500}
    big = client.post("/api/v1/staff/citizen-reads", json=lookup, headers={"authorization": "Bearer nobody"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "request.too_large"
    small = client.post("/api/v1/staff/citizen-reads", json={**lookup, "justification": "j" * 500},
                        headers={"authorization": "Bearer nobody"})
    assert small.status_code == 401
