"""The one place the web application is assembled."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from civicid import __version__
from civicid.audit.sequencer import LogSequencer
from civicid.maintenance.periodic import Pruner
from civicid.oidc.backchannel import worker_of
from civicid.registry.demo import demo_registry_in_use
from civicid.runtime import Runtime, build_runtime
from civicid.settings import Settings
from civicid.web import i18n
from civicid.web.api_docs import install_api_docs
from civicid.web.boundary import DEMO_RP_PATH, install_boundary
from civicid.web.errors import install_error_handlers
from civicid.web.metrics import install_metrics
from civicid.web.openapi import install_openapi
from civicid.web.routes import (enrolment, health, me, officials, oidc, pages, partners, passkeys, recovery,
                                tlog, transparency)

WEB_DIR = Path(__file__).parent


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the ASGI app. The database, keys and face models start in the lifespan (or come in
    as ``runtime``, for tests); nothing happens at import. A runtime built here sequences the
    transparency log in the background; one passed in keeps its own mode."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        sequencer = pruner = backchannel_worker = None
        if getattr(app.state, "runtime", None) is None:
            app.state.runtime = build_runtime(settings)
            app.state.runtime.log_sequencing = "background"
            app.state.runtime.metrics = app.state.metrics
            sequencer = LogSequencer(app.state.runtime, interval_s=settings.log_merge_delay_ms / 1000)
            sequencer.start()
            pruner = Pruner(app.state.runtime, interval_s=settings.maintenance_prune_interval_s)
            pruner.start()
            backchannel_worker = worker_of(app.state.runtime)
            backchannel_worker.wake()  # back-channel logout notifications left in the outbox, then retries
        logging.getLogger("civicid").info("CivicID %s starting (%s)", __version__, settings.environment)
        yield
        if backchannel_worker is not None:
            backchannel_worker.stop()
        if pruner is not None:
            pruner.stop()
        if sequencer is not None:
            sequencer.stop()
        app.state.runtime.close()

    docs = settings.api_docs  # off in production unless asked for
    # /docs and /redoc from the pinned fastapi-offline package's files, not a CDN (web.api_docs)
    app = FastAPI(title="CivicID", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json" if docs else None)
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.templates = Jinja2Templates(directory=WEB_DIR / "templates")
    # English and Simplified Chinese: the catalogues, _() bound to each request's language, GET /lang
    i18n.install(app, app.state.templates)
    app.state.api_docs = install_api_docs(app, openapi_url=app.openapi_url, title=app.title) if docs else None
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    install_error_handlers(app)
    # Routes are matched in this order: the sign-in endpoints (passkeys, oidc) first, as the busiest.
    for module in (passkeys, oidc, health, enrolment, partners, transparency, tlog, officials, me, recovery, pages):
        app.include_router(module.router)
    if demo_registry_in_use(settings):  # the try-it page and its API (web.routes.demo)
        from civicid.web.routes import demo

        app.include_router(demo.router)
    install_openapi(app)  # the plain routes' operations, written by hand
    if settings.demo:
        from civicid.demo_rp.app import mount_demo_rp

        mount_demo_rp(app, settings, path=DEMO_RP_PATH)
    # Last, around everything above: body limits, cross-site refusal, control characters, headers.
    install_boundary(app, settings)
    # Outermost: request timing and request ids, around the boundary; /metrics on its own registry.
    metrics = install_metrics(app, settings)
    if runtime is not None:
        runtime.metrics = metrics  # the domains report to the app that serves them
    return app


def app_from_environment() -> FastAPI:
    """The app for ``civicid serve``'s workers: settings from the ``CIVICID_*`` environment."""
    return create_app(Settings())
