"""``civicid partners``: telecoms and platforms allowed to use the verification API."""

from __future__ import annotations

import typer

from civicid.cli.output import console, print_json, typed_errors
from civicid.runtime import build_runtime
from civicid.settings import Settings

app = typer.Typer(help="Verification API partners.", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The partner's name, e.g. 'Example Mobile'."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Register a partner; prints its client id and secret ONCE (only a hash is stored)."""
    from civicid.partners.service import PartnerService
    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            partner = PartnerService(runtime, session).register(name)
    if as_json:
        print_json({"partner_id": partner.partner_id, "name": partner.name, "client_id": partner.client_id,
                    "client_secret": partner.secret})
        return
    console.print(f"Partner [bold]{partner.name}[/bold] registered.")
    console.print(f"  client id:     {partner.client_id}")
    console.print(f"  client secret: {partner.secret}")
    console.print("Store the secret now: it is not shown again and cannot be recovered.")
