"""Liveness and readiness, for load balancers and orchestrators.

``/api/v1/health`` (liveness) says only that the process answers: restarting it would not help
while the database is down. ``/api/v1/ready`` (readiness) says whether this instance can serve:
the database answers, the key provider wraps and unwraps a key, and the transparency log's
outbox is moving (no recorded access waits longer than ``ready_max_log_outbox_age_s``). When
it cannot, it answers 503 ``service.not_ready`` with each check, so traffic goes elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from civicid import __version__
from civicid.runtime import Runtime
from civicid.web.errors import NotReady, civicid_error_response

router = APIRouter()
log = logging.getLogger("civicid.web")
READY_TIMEOUT_S = 5.0
_PROBE_OWNER = "civicid.readiness"


@router.get("/api/v1/health", tags=["health"])
async def health(request: Request) -> dict:
    """Liveness: the process answers (nothing else is checked)."""
    return {"status": "ok", "version": __version__, "environment": request.app.state.settings.environment}


@router.get("/api/v1/ready", tags=["health"], responses={503: {"description": "Not ready (service.not_ready)"}})
async def ready(request: Request) -> JSONResponse:
    """Readiness: ``{"status": "ready", "checks": {...}}``, or 503 with the checks in ``detail``."""
    runtime: Runtime = request.app.state.runtime
    try:
        checks = await asyncio.wait_for(run_in_threadpool(readiness_checks, runtime), READY_TIMEOUT_S)
    except asyncio.TimeoutError:
        checks = {name: {"ok": False, "error": "timeout"} for name in ("database", "keys", "log_outbox")}
    if all(check["ok"] for check in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks}, headers={"Cache-Control": "no-store"})
    return civicid_error_response(NotReady(checks=checks))


def readiness_checks(runtime: Runtime) -> dict[str, dict]:
    checks = {"keys": _keys(runtime)}
    try:
        with runtime.transaction() as session:
            session.execute(sa.text("SELECT 1"))
            pending, age = log_outbox(runtime, session)
    except Exception as error:  # reported, not raised: readiness is the place to say it
        log.warning("readiness: the database does not answer (%s)", type(error).__name__)
        checks["database"] = {"ok": False}
        checks["log_outbox"] = {"ok": False, "pending": None, "oldest_age_s": None}
        return checks
    checks["database"] = {"ok": True}
    checks["log_outbox"] = {"ok": age is None or age <= runtime.settings.ready_max_log_outbox_age_s,
                            "pending": pending, "oldest_age_s": age}
    return checks


def log_outbox(runtime: Runtime, session) -> tuple[int, float | None]:
    """How many recorded events wait for the sequencer, and the oldest one's age in seconds (None
    when none waits); for readiness and for ``/metrics``."""
    pending, oldest_ms = runtime.access_log(session).outbox()
    age = None if oldest_ms is None else round(runtime.clock.now().timestamp() - oldest_ms / 1000, 1)
    return pending, age


def _keys(runtime: Runtime) -> dict:
    """A data key wrapped and unwrapped again under the current key-encryption key."""
    probe = secrets.token_bytes(32)
    try:
        ok = runtime.keys.unwrap(runtime.keys.wrap(probe, owner=_PROBE_OWNER), owner=_PROBE_OWNER) == probe
    except Exception as error:
        log.warning("readiness: the key provider fails (%s)", type(error).__name__)
        ok = False
    return {"ok": ok}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, "home.html", {"version": __version__})
