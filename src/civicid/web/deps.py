"""Dependency aliases for route handlers: the runtime, a unit-of-work session, the client."""

from __future__ import annotations

from typing import Annotated, Callable, Iterator, TypeVar

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

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


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.transaction() as session:
        yield session


T = TypeVar("T")


def short_unit(runtime: Runtime, work: Callable[[Session], T]) -> T:
    """For the sign-in's units of work (a handful of statements, a few milliseconds): one
    transaction, run right on the event loop's thread. Handing them to a worker thread cost more
    than the work: 9.2-10.0 against 8.1-8.2 ms of server CPU per sign-in in the OIDC bench, for
    the hop and for the two threads taking turns at the GIL. While such a unit runs, its process
    serves nothing else, so only units without long waits belong here: no face work, no calls
    to other services. A unit never awaits, so two of them never hold locks at once in one
    process; the other worker processes go on while one waits on the database."""
    with runtime.transaction() as session:
        return work(session)


# scope="function": commit when the handler returns, before the response is sent, so a client
# that acts on the response (e.g. uploads frames right after starting) sees what was written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientDep = Annotated[str, Depends(client_address)]
