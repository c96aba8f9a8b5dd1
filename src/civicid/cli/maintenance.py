"""``civicid maintenance``: housekeeping an operator can run by hand or from cron."""

from __future__ import annotations

import typer

from civicid.cli.output import console, print_json, typed_errors
from civicid.runtime import build_runtime
from civicid.settings import Settings

app = typer.Typer(help="Housekeeping.", no_args_is_help=True)


@app.command("prune")
def prune(
    batch: int = typer.Option(500, min=1, max=100_000, help="Rows deleted per transaction."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete every expired session, challenge, code, token and rate-limit attempt (the server
    does this every CIVICID_MAINTENANCE_PRUNE_INTERVAL_S as well)."""
    from civicid.maintenance.service import prune_expired

    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        pruned = prune_expired(runtime, batch=batch)
        if runtime.engine is not None:
            runtime.engine.dispose()
    if as_json:
        print_json({"pruned": pruned.as_dict(), "total": pruned.total})
        return
    for table, count in pruned.counts:
        console.print(f"{table:28} {count:>8}")
    console.print(f"[bold]{pruned.total}[/bold] expired rows deleted.")
