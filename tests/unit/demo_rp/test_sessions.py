"""The demo forum's server-side sessions: a random cookie, data in memory, expiry and a cap."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from civicid.demo_rp.sessions import COOKIE, MemorySessions, SessionMiddleware


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _forum(store: MemorySessions) -> Starlette:
    async def put(request: Request):
        request.session["who"] = request.query_params["who"]
        return JSONResponse({})

    async def get(request: Request):
        return JSONResponse(dict(request.session))

    async def clear(request: Request):
        request.session.clear()
        return JSONResponse({})

    inner = Starlette(routes=[Route("/put", put), Route("/get", get), Route("/clear", clear)])
    inner.add_middleware(SessionMiddleware, store=store)
    return Starlette(routes=[Mount("/forum", inner)])


def test_session_round_trip_scoped_to_the_mount_and_cleared():
    client = TestClient(_forum(MemorySessions()))
    first = client.get("/forum/put", params={"who": "alice"})
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "Path=/forum;" in cookie and "HttpOnly" in cookie
    assert "alice" not in cookie  # the browser holds only a random id
    assert client.get("/forum/get").json() == {"who": "alice"}
    assert "set-cookie" not in client.get("/forum/get").headers  # no new cookie for a known session
    cleared = client.get("/forum/clear")
    assert "Max-Age=0" in cleared.headers["set-cookie"]


def test_an_empty_session_sets_no_cookie_and_unknown_ids_start_fresh():
    client = TestClient(_forum(MemorySessions()))
    assert "set-cookie" not in client.get("/forum/get").headers
    client.cookies.set(COOKIE, "made-up")
    assert client.get("/forum/get").json() == {}


def test_sessions_expire_and_the_oldest_go_first():
    ticks = Ticks()
    store = MemorySessions(ttl_s=10, max_sessions=2, monotonic=ticks)
    a = store.save({"n": 1})
    ticks.now = 5
    b = store.save({"n": 2})
    c = store.save({"n": 3})
    assert store.load(a) is None and store.load(b) == {"n": 2} and store.load(c) == {"n": 3}
    ticks.now = 16
    assert store.load(b) is None and store.load(c) is None
