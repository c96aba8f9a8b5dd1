from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from civicid import __version__

router = APIRouter()


@router.get("/api/v1/health", tags=["health"])
async def health(request: Request) -> dict:
    return {"status": "ok", "version": __version__, "environment": request.app.state.settings.environment}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, "home.html", {"version": __version__})
