"""``civicid audit``: the transparency log's signed tree head and end-to-end verification."""

from __future__ import annotations

from pathlib import Path

import typer

from civicid.cli.output import EXIT_NEGATIVE, EXIT_OK, console, print_json, typed_errors
from civicid.runtime import build_runtime
from civicid.settings import Settings

app = typer.Typer(help="The transparency log.", no_args_is_help=True)


@app.command("sth")
def sth() -> None:
    """Print the latest signed tree head as JSON (save it: `civicid audit sth > head.json`)."""
    from civicid.audit.service import open_log

    with typed_errors(True):
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            head = open_log(session, runtime.keys, runtime.clock).signed_tree_head()
    typer.echo(head.dumps(), nl=False)


@app.command("verify")
def verify(
    since_sth: Path | None = typer.Option(None, "--since-sth", exists=True, dir_okay=False,
                                          help="A tree head saved earlier; the log must still contain it unchanged."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Recompute the whole tree from the stored entries and check every signed head, and report the
    events still waiting for the sequencer.

    Exit 0 only when everything holds; 1 names the first bad entry; 2 is an error."""
    from civicid.audit.db_verify import verify_stored_log
    from civicid.audit.sth import SignedTreeHead

    with typed_errors(as_json):
        since = SignedTreeHead.loads(since_sth.read_bytes()) if since_sth else None
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            result = verify_stored_log(session, runtime.keys, runtime.clock, since=since)
            pending, oldest_ms = runtime.access_log(session).outbox()
    oldest_age_s = None if oldest_ms is None else round(runtime.clock.now().timestamp() - oldest_ms / 1000, 1)
    report = {
        "ok": result.ok, "tree_size": result.tree_size, "first_bad_index": result.first_bad_index,
        "signatures_checked": result.signatures_checked, "pending": pending, "oldest_pending_age_s": oldest_age_s,
        "problems": [{"code": p.code.value, "message": p.message, "index": p.index} for p in result.problems],
    }
    if as_json:
        print_json(report)
    elif result.ok:
        console.print(f"[green]ok[/green] {result.tree_size} entries; every head verified"
                      + (f"; consistent with the saved head of size {since.tree_size}" if since else ""))
    else:
        console.print(f"[red]FAILED[/red] first bad index: {result.first_bad_index}")
        for problem in result.problems:
            console.print(f"  {problem.code.value} at {problem.index}: {problem.message}")
    if pending and not as_json:
        console.print(f"{pending} events wait for the sequencer; the oldest for {oldest_age_s} s")
    raise typer.Exit(EXIT_OK if result.ok else EXIT_NEGATIVE)
