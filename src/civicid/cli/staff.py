"""``civicid staff``: official accounts (admin, registry_officer, auditor)."""

from __future__ import annotations

import typer

from civicid.cli.output import console, print_json, typed_errors
from civicid.runtime import build_runtime
from civicid.settings import Settings

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Option(..., "--name", help="The official's name."),
    role: str = typer.Option(..., "--role", help="admin, registry_officer or auditor."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a staff account; prints its API token ONCE (only a hash is stored)."""
    from civicid.errors import InvalidInput
    from civicid.officials.service import OfficialService, Role

    with typed_errors(as_json):
        if role not in {r.value for r in Role}:
            raise InvalidInput("The role must be admin, registry_officer or auditor.")
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            staff = OfficialService(runtime, session).add_staff(name, role)
    if as_json:
        print_json({"staff_id": staff.staff_id, "name": staff.name, "role": staff.role.value, "token": staff.token})
        return
    console.print(f"Staff member [bold]{staff.name}[/bold] ({staff.role.value}) added.")
    console.print(f"  API token: {staff.token}")
    console.print("Store the token now: it is not shown again.")
