"""``civicid demo-rp``: run the demo "community forum" relying party on its own port."""

from __future__ import annotations

import typer

from civicid.settings import Settings


def demo_rp(
    host: str = typer.Option("localhost", help="Interface to listen on."),
    port: int = typer.Option(8001, help="TCP port of the forum."),
    issuer: str | None = typer.Option(None, help="CivicID's URL (default: CIVICID_PUBLIC_URL)."),
    client_id: str | None = typer.Option(None, envvar="CIVICID_DEMO_RP_CLIENT_ID",
                                         help="Client id at CivicID; registered in the local database when omitted."),
    client_secret: str | None = typer.Option(None, envvar="CIVICID_DEMO_RP_CLIENT_SECRET",
                                             help="Client secret (with --client-id)."),
    scope: str = typer.Option("openid age", help="Scopes the forum asks for."),
) -> None:
    """Start the demo forum that signs in with CivicID (default http://localhost:8001).

    Without --client-id it registers itself as a client of the CivicID whose CIVICID_HOME this
    shell uses, and keeps the credentials in <home>/demo_rp_client.json."""
    import uvicorn

    from civicid.demo_rp import DemoRPConfig, create_demo_rp
    from civicid.demo_rp.config import registered_client

    settings = Settings()
    issuer = (issuer or settings.public_url).rstrip("/")
    base_url = f"http://{host}:{port}"
    if client_id and client_secret:
        config = DemoRPConfig(issuer=issuer, base_url=base_url, client_id=client_id, client_secret=client_secret,
                              scope=scope)
    elif client_id or client_secret:
        raise typer.BadParameter("give both --client-id and --client-secret, or neither")
    else:
        from civicid.runtime import build_runtime

        config = registered_client(build_runtime(settings), issuer=issuer, base_url=base_url, scope=scope)
    typer.echo(f"Community forum on {base_url}/ (client {config.client_id}, issuer {issuer})")
    uvicorn.run(create_demo_rp(config), host=host, port=port, log_level="info")
