"""Dependency aliases for route handlers: the runtime, a unit-of-work session, the client."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Annotated, Callable, Iterator, TypeVar

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from civicid.runtime import Runtime


# Dependencies that do no I/O are async: FastAPI runs a plain ``def`` dependency in the thread
# pool, and each hop there costs more than the function itself.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


def plain_route(router: APIRouter, path: str, *, methods: list[str]):
    """Register ``async def endpoint(request) -> Response`` as a plain Starlette route, for the
    endpoints every sign-in calls: FastAPI's route handling (dependency solving, response
    serialisation) costs about 40 us per request here. The app's error handlers still apply.
    FastAPI cannot document such routes: their operations are written in ``web.openapi``, and
    the app does not start without one."""

    def register(endpoint: Callable) -> Callable:
        router.add_route(path, endpoint, methods=methods, include_in_schema=False)
        endpoint.is_plain_route = True  # type: ignore[attr-defined]  (found by web.openapi)
        return endpoint

    return register


class RouteUnits:
    """The route units of work (``SessionDep``) open in this process. Each holds its transaction
    from its handler, in a worker thread, to its commit, in another hop that the event loop
    schedules: while one is open, a unit that waits on the loop for its locks may wait for ever."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0

    @contextmanager
    def holding(self) -> Iterator[None]:
        with self._lock:
            self.open += 1
        try:
            yield
        finally:
            with self._lock:
                self.open -= 1


def route_units(runtime: Runtime) -> RouteUnits:
    return runtime.shared("web.route_units", RouteUnits)


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with route_units(runtime).holding(), runtime.transaction() as session:
        yield session


T = TypeVar("T")


def unit_of_work(runtime: Runtime, work: Callable[[Session], T]) -> T:
    with runtime.transaction() as session:
        return work(session)


async def short_unit(runtime: Runtime, work: Callable[[Session], T]) -> T:
    """For the sign-in's units of work (a handful of statements, a few milliseconds): one
    transaction, run right on the event loop's thread. Handing them to a worker thread cost more
    than the work: 9.2-10.0 against 8.1-8.2 ms of server CPU per sign-in in the OIDC bench, for
    the hop and for the two threads taking turns at the GIL. While such a unit runs, its process
    serves nothing else, so only units without long waits belong here: no face work, no calls
    to other services. A unit never awaits, so two of them never hold locks at once in one
    process; the other worker processes go on while one waits on the database.

    Except while a route unit of work (``SessionDep``) is open in this process: it may hold a lock
    the unit needs (on SQLite, every transaction holds the database's write lock) and it needs
    the loop to commit, so a unit waiting on the loop would stop both, on SQLite for the busy
    timeout and then a 503 (found by the kill -9 test). Then the unit goes to a worker thread."""
    if route_units(runtime).open:
        return await run_in_threadpool(unit_of_work, runtime, work)
    return unit_of_work(runtime, work)


# scope="function": commit when the handler returns, before the response is sent, so a client
# that acts on the response (e.g. uploads frames right after starting) sees what was written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientDep = Annotated[str, Depends(client_address)]
