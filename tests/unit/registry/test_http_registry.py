"""The HTTPS registry adapter: a down or broken registry is a clear error, never a wrong answer."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from civicid.registry.errors import RegistryBadResponse, RegistryUnavailable
from civicid.registry.http import HttpRegistry

NUMBER = "11010519491231002X"
RECORD = {"id_number": NUMBER, "name": "Zhang Wei", "birth_date": "1949-12-31", "sex": "F", "status": "active",
          "photo_jpeg_b64": base64.b64encode(b"\xff\xd8\xffphoto").decode(), "ref": "r-1"}


def registry(*responses, sleeps=None) -> tuple[HttpRegistry, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return HttpRegistry("https://registry.example", token="t0ken", transport=httpx.MockTransport(handler),
                        sleep=(sleeps.append if sleeps is not None else lambda s: None)), seen


def test_found_record_and_the_request_it_took():
    reg, seen = registry(httpx.Response(200, json=RECORD))
    record = reg.lookup(NUMBER)
    assert (record.name, record.photo, record.status) == ("Zhang Wei", b"\xff\xd8\xffphoto", "active")
    [request] = seen
    assert request.method == "POST" and request.url.path == "/v1/persons/lookup"
    assert NUMBER not in str(request.url)  # the number travels in the body, not in access logs
    assert json.loads(request.content) == {"id_number": NUMBER}
    assert request.headers["Authorization"] == "Bearer t0ken"


def test_not_found_is_none():
    reg, _ = registry(httpx.Response(404))
    assert reg.lookup(NUMBER) is None


def test_transient_failures_are_retried_with_backoff():
    sleeps: list[float] = []
    reg, seen = registry(httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200, json=RECORD),
                         sleeps=sleeps)
    assert reg.lookup(NUMBER).name == "Zhang Wei"
    assert len(seen) == 3 and sleeps == [0.2, 0.4]


@pytest.mark.parametrize("failure", [httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(429)])
def test_a_registry_that_stays_down_is_unavailable_not_a_no(failure):
    reg, seen = registry(failure, failure, failure)
    with pytest.raises(RegistryUnavailable) as raised:
        reg.lookup(NUMBER)
    assert raised.value.code == "registry.unavailable" and raised.value.status == 503
    assert len(seen) == 3


@pytest.mark.parametrize("body", [
    {**RECORD, "id_number": "110105194912310037"},  # somebody else
    {**RECORD, "sex": "X"},
    {**RECORD, "status": "unknown"},
    {**RECORD, "birth_date": "1949-13-31"},
    {**RECORD, "photo_jpeg_b64": "%%%"},
    {k: v for k, v in RECORD.items() if k != "name"},
])
def test_a_broken_answer_is_rejected(body):
    reg, _ = registry(httpx.Response(200, json=body))
    with pytest.raises(RegistryBadResponse):
        reg.lookup(NUMBER)


def test_unexpected_status_and_non_json_are_bad_responses():
    for response in (httpx.Response(401), httpx.Response(200, text="<html>")):
        reg, _ = registry(response)
        with pytest.raises(RegistryBadResponse):
            reg.lookup(NUMBER)


def test_plain_http_is_refused_except_on_localhost():
    with pytest.raises(ValueError, match="HTTPS"):
        HttpRegistry("http://registry.example", token="t")
    HttpRegistry("http://localhost:9000", token="t")
