"""Control characters are refused at the boundary with a typed 400, whatever the route and the
database (PostgreSQL cannot store NUL in text and used to answer 500)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from starlette.requests import Request

from civicid.db import HotStatement
from civicid.web.deps import runtime_of, short_unit

NUL = "\x00"

CASES = [
    ("GET", "/oauth2/authorize", {"params": {"client_id": NUL}}),
    ("GET", "/oauth2/authorize", {"params": {"response_type": "code", "client_id": "c", "nonce": "n" + NUL}}),
    ("GET", "/oauth2/logout", {"params": {"client_id": NUL}}),
    ("POST", "/oauth2/logout", {"data": {"client_id": NUL}}),
    ("POST", "/oauth2/token", {"data": {"grant_type": "authorization_code", "code": NUL}, "auth": ("c", "s")}),
    ("POST", "/oauth2/token", {"data": {"grant_type": "authorization_code", "code": "x"}, "auth": (NUL, "s")}),
    ("POST", "/api/v1/verifications/challenge", {"auth": ("partner" + NUL, "secret")}),
    ("POST", "/api/v1/signin/verify", {"json": {"ceremony_id": NUL, "credential": {}}}),
    ("POST", "/api/v1/signin/verify", {"json": {"ceremony_id": "c\x1b[2J", "credential": {}}}),
    ("POST", "/api/v1/enrolments", {"json": {"id_number": "11010519900307005" + NUL, "name": "Li Ming"}}),
    ("POST", "/api/v1/staff/citizen-reads", {"json": {"id_number": "1", "justification": "j" + NUL,
                                                      "case_reference": "c"}, "headers": {"authorization": "Bearer x"}}),
    ("GET", "/api/v1/me/history", {"headers": {"authorization": "Bearer a\x00b"}}),
    ("GET", "/api/v1/transparency/inclusion", {"params": {"leaf_index": "0\x07"}}),
    ("GET", "/signin%00", {}),
    ("POST", "/api/v1/enrolments/x/frames", {"files": [("frames", ("a.jpg", b"\xff\xd8\x00\x00", "image/jpeg"))],
                                             "data": {"timestamps_ms": "0", "note": "a" + NUL}}),
]


@pytest.mark.parametrize("method,path,request_kwargs", CASES)
def test_control_characters_are_a_typed_400(client, method, path, request_kwargs):
    response = client.request(method, path, **request_kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "request.invalid_characters"


def test_ordinary_text_keeps_its_tabs_and_newlines(client):
    """Free text (a justification) may hold line breaks; they are not refused."""
    response = client.post("/api/v1/staff/citizen-reads", headers={"authorization": "Bearer nobody"},
                           json={"id_number": "1", "justification": "Case notes:\n\tline two\r\n", "case_reference": "c"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "staff.unauthorized")


def test_a_nul_that_reaches_the_database_is_a_400_and_its_parameters_are_not_logged(client, caplog):
    """The boundary's second line: if a route passes NUL on (here, a test route the boundary
    does not know), PostgreSQL's refusal is still a typed 400, and no SQL parameter is logged."""
    statement = HotStatement(sa.select(sa.literal_column("1")).where(sa.bindparam("v", type_=sa.String) == "x"))

    async def leak(request: Request):
        runtime = runtime_of(request)
        await short_unit(runtime, lambda session: session.execute(sa.text("SELECT :v"), {"v": "secret-1" + NUL}))
        return None

    async def leak_hot(request: Request):
        runtime = runtime_of(request)
        await short_unit(runtime, lambda session: statement.run(session, {"v": "secret-2" + NUL}))
        return None

    client.app.router.add_route("/test/leak", leak, methods=["GET"])
    client.app.router.add_route("/test/leak-hot", leak_hot, methods=["GET"])
    engine_name = client.app.state.runtime.sessions.kw["bind"].dialect.name
    with caplog.at_level(logging.DEBUG):
        for path in ("/test/leak", "/test/leak-hot"):
            if engine_name != "postgresql":
                continue  # SQLite stores NUL; nothing to refuse
            response = client.get(path)
            assert response.status_code == 400, response.text
            assert response.json()["error"]["code"] == "request.invalid_characters"
    assert "secret-" not in caplog.text
