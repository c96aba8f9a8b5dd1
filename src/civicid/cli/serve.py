from __future__ import annotations

import typer

from civicid.settings import Settings


def serve(
    host: str = typer.Option("localhost", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
) -> None:
    """Start the CivicID web service (default http://localhost:8000)."""
    import uvicorn

    from civicid.web.app import create_app

    settings = Settings()
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info")
