"""The one place the web application is assembled."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from civicid import __version__
from civicid.settings import Settings
from civicid.web.errors import install_error_handlers
from civicid.web.routes import health

WEB_DIR = Path(__file__).parent


def create_app(settings: Settings) -> FastAPI:
    """Build the ASGI app. Heavy parts (database, face models) start in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings.ensure_home()
        logging.getLogger("civicid").info("CivicID %s starting (%s)", __version__, settings.environment)
        yield

    app = FastAPI(title="CivicID", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.templates = Jinja2Templates(directory=WEB_DIR / "templates")
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    install_error_handlers(app)
    app.include_router(health.router)
    return app
