"""The sign-in's units of work run on the event loop (deps.short_unit); a sync route's unit of work
(SessionDep) holds its transaction from its handler, in a worker thread, to its commit, in
another hop that the event loop schedules. A sign-in unit that waited on the loop for a lock
held by such a unit would stop the loop that the holder needs in order to commit: on SQLite,
where every transaction takes the database's write lock, the server stood still for the busy
timeout (30 s) and answered 503. Found by the kill -9 test (tests/integration/test_crash_safety.py).
"""

from __future__ import annotations

import asyncio
import time
from datetime import date

import httpx

from civicid.clock import SystemClock
from civicid.registry.demo import DemoRegistry
from civicid.registry.interfaces import RegistryRecord
from civicid.runtime import Runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app
from tests.support.aio import run_sync

PUBLIC_URL = "http://localhost:8000"
ID_NUMBER, NAME = "11010519900307005X", "Li Ming"
FLOOR_S = 1.0  # the enrolment start answers no sooner, its transaction open meanwhile


def test_a_sign_in_during_an_enrolment_start_neither_waits_for_the_busy_timeout(session_factory, tmp_path):
    settings = Settings(home=tmp_path, public_url=PUBLIC_URL, environment="test", enrolment_min_response_s=FLOOR_S)
    runtime = Runtime(settings=settings, sessions=session_factory, keys=FakeKeyProvider(), clock=SystemClock())
    with runtime.transaction() as session:
        DemoRegistry(session, runtime.vault(session), runtime.clock).add(RegistryRecord(
            id_number=ID_NUMBER, name=NAME, birth_date=date(1990, 3, 7), sex="M", photo=b"photo"))
    app = create_app(settings, runtime=runtime)

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            start = asyncio.create_task(client.post("/api/v1/enrolments", json={"id_number": ID_NUMBER,
                                                                                "name": NAME}))
            await asyncio.sleep(FLOOR_S / 4)  # the start's transaction is open, in its worker thread
            began = time.monotonic()
            options = await client.post("/api/v1/signin/options")
            started = await start
            return options, started, time.monotonic() - began

    options, started, elapsed = run_sync(scenario())
    assert options.status_code == 200, options.text
    assert started.status_code == 201, started.text
    assert elapsed < FLOOR_S + 5, f"{elapsed:.1f} s"
