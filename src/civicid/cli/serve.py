from __future__ import annotations

import typer

from civicid.settings import Settings


def serve(
    host: str = typer.Option("localhost", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (the API tier is stateless)."),
) -> None:
    """Start the CivicID web service (default http://localhost:8000)."""
    import uvicorn

    Settings()  # fail closed here, with a clear message, before any worker starts
    uvicorn.run("civicid.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="info")
