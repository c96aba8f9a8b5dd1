"""``civicid keys``: key-encryption-key rotation."""

from __future__ import annotations

import typer
from rich.progress import Progress

from civicid.cli import oidc_keys
from civicid.cli.output import console, print_json, typed_errors
from civicid.runtime import build_runtime
from civicid.settings import Settings
from civicid.vault.rotation import rewrap_all
from civicid.vault.store import SqlWrappedKeyStore

app = typer.Typer(help="Keys: rotation of the key-encryption key and of the ID-token signing key.",
                  no_args_is_help=True)
app.command("rotate-signing")(oidc_keys.rotate_signing)


@app.command("rotate")
def rotate(
    resume: bool = typer.Option(False, "--resume",
                                help="Do not make a new KEK; finish re-wrapping under the current one."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Re-wrap every data key under a new key-encryption key; encrypted fields are not touched.

    Interrupted? Run it again with --resume: finished batches are kept."""
    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        kek_id = runtime.keys.current_kek_id if resume else runtime.keys.rotate_kek()
        store = SqlWrappedKeyStore(runtime.sessions)
        total = _stale_count(runtime, kek_id)
        with Progress(console=console, disable=as_json) as progress:
            task = progress.add_task(f"Re-wrapping data keys under {kek_id}", total=total)
            try:
                report = rewrap_all(store, runtime.keys,
                                    progress=lambda r: progress.update(task, completed=r.rewrapped + r.skipped))
            finally:
                store.close()
    result = {"kek_id": report.kek_id, "rewrapped": report.rewrapped, "skipped": report.skipped}
    if as_json:
        print_json(result)
    else:
        console.print(f"Re-wrapped {report.rewrapped} data keys under {report.kek_id} "
                      f"({report.skipped} changed meanwhile and were left as they are).")


def _stale_count(runtime, kek_id: str) -> int:
    import sqlalchemy as sa

    from civicid.vault.models import WrappedDataKey

    with runtime.sessions() as session:
        return session.scalar(sa.select(sa.func.count()).where(WrappedDataKey.kek_id != kek_id)) or 0
