"""``civicid audit``: the transparency log's signed tree head, end-to-end verification (read-only,
so it runs on an auditor's forensic copy), and rotation of the key that signs tree heads."""

from __future__ import annotations

import base64
import binascii
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
    public_key: str | None = typer.Option(None, "--public-key", help=(
        "The log's first key (raw Ed25519, base64: 'anchor' at /api/v1/transparency/keys). Verify without the "
        "keyring; the outbox's MACs are then not checked.")),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Recompute the whole tree from the stored entries and check every signed head, node hash,
    lookup column and outbox row, and report the events still waiting for the sequencer. Writes
    nothing and runs no migration: the database may be a read-only copy.

    Exit 0 only when everything holds; 1 names the first bad entry; 2 is an error."""
    from sqlalchemy.orm import Session

    from civicid.audit.db_verify import verify_database
    from civicid.audit.readonly import readonly_engine, require_current_schema
    from civicid.audit.service import outbox_state
    from civicid.audit.sth import SignedTreeHead
    from civicid.clock import SystemClock

    with typed_errors(as_json):
        since = SignedTreeHead.loads(since_sth.read_bytes()) if since_sth else None
        settings = Settings()
        anchor, mac_key = _verification_keys(settings, public_key)
        engine = readonly_engine(settings.resolved_database_url)
        try:
            with engine.connect() as connection:
                require_current_schema(connection)
            with Session(engine) as session, session.begin():
                result = verify_database(session, anchor=anchor, mac_key=mac_key, since=since)
                pending, oldest_ms = outbox_state(session)
        finally:
            engine.dispose()
    oldest_age_s = None if oldest_ms is None else round(SystemClock().now().timestamp() - oldest_ms / 1000, 1)
    report = {
        "ok": result.ok, "tree_size": result.tree_size, "first_bad_index": result.first_bad_index,
        "signatures_checked": result.signatures_checked, "pending": pending, "oldest_pending_age_s": oldest_age_s,
        "outbox_checked": mac_key is not None,
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
        console.print(f"{pending} events wait for the sequencer; the oldest for {oldest_age_s} s"
                      + ("" if mac_key is not None else " (their MACs were not checked: no keyring)"))
    raise typer.Exit(EXIT_OK if result.ok else EXIT_NEGATIVE)


def _verification_keys(settings: Settings, public_key: str | None):
    """The pinned first log key and the outbox MAC key: from ``--public-key`` (no MAC key), or read
    from the keyring without creating, locking or rewriting it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from civicid.audit.errors import InvalidPublicKey
    from civicid.audit.outbox import PENDING_MAC_PURPOSE
    from civicid.audit.signing import LOG_KEY_PURPOSE
    from civicid.vault.local_keys import KEYRING_FILE, KEYS_DIR, _load

    if public_key is not None:
        try:
            return Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True)), None
        except (binascii.Error, ValueError):
            raise InvalidPublicKey() from None
    ring, _ = _load(settings.home / KEYS_DIR / KEYRING_FILE)  # the provider's own checked, read-only loader
    return ring.signing_key(LOG_KEY_PURPOSE).public_key(), ring.hmac_key(PENDING_MAC_PURPOSE)


@app.command("keys")
def keys(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The keys that sign tree heads: the first (pin it) and each rotation, endorsed by the one before."""
    from civicid.audit.signing import key_chain_json

    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            chain = key_chain_json(session, runtime.keys)
    if as_json:
        print_json(chain)
        return
    console.print(f"serial 1 from tree size 0: {chain['anchor']['public_key']} (pin this one)")
    for rotation in chain["rotations"]:
        state = "[green]endorsed[/green]" if rotation["valid"] else "[red]NOT ENDORSED[/red]"
        console.print(f"serial {rotation['serial']} from tree size {rotation['first_size']}: "
                      f"{rotation['public_key']} {state}")


@app.command("rotate-key")
def rotate_key(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Sign every head after the current tree size with a new key, endorsed by the current one.
    Heads signed before stay valid under the old key; verifiers follow the chain from the first."""
    from civicid.audit.signing import rotate_log_key

    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            rotation = rotate_log_key(session, runtime.keys)
    if as_json:
        print_json(rotation.to_json())
    else:
        console.print(f"Log key {rotation.serial} signs heads from tree size {rotation.first_size} on: "
                      f"{base64.b64encode(rotation.public_key).decode()}")


@app.command("witness")
def witness(
    log: str = typer.Option(..., "--log", help="The log's public URL, e.g. https://id.example.gov"),
    log_vkey: str = typer.Option(..., "--log-vkey", help="The log's checkpoint verifier key (GET /log/vkey)."),
    name: str = typer.Option(..., "--name", help="This witness's name, e.g. witness.example.org/w1"),
    key_file: Path = typer.Option(..., "--key-file", help=(
        "This witness's Ed25519 seed (32 bytes, base64); created if missing.")),
    state: Path = typer.Option(..., "--state", help="Where the witness keeps the last checkpoint it cosigned."),
    publish: bool = typer.Option(True, "--publish/--no-publish", help="Hand the cosigned checkpoint to the log."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Cosign the log's checkpoint if it extends the last one this witness cosigned (C2SP
    tlog-witness); refuse (exit 2, audit.witness_refused) a smaller or forked tree."""
    import os
    import time

    import httpx
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from civicid.audit.witness import cosigner_vkey
    from civicid.audit.witness_client import witness_log

    with typed_errors(as_json):
        if not key_file.exists():
            seed = os.urandom(32)
            key_file.touch(mode=0o600)
            key_file.write_text(base64.b64encode(seed).decode("ascii") + "\n")
        try:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key_file.read_text().strip(), validate=True))
        except (binascii.Error, ValueError):
            raise typer.BadParameter(f"{key_file} is not a base64 Ed25519 seed.") from None
        with httpx.Client(timeout=30) as client:
            run = witness_log(client, log, log_vkey=log_vkey, name=name, key=key, state_path=state,
                              clock_s=lambda: int(time.time()), publish=publish)
    result = {"cosigner_vkey": cosigner_vkey(name, key.public_key()), "tree_size": run.witnessed.state.tree_size,
              "previous_size": run.previous_size, "published": run.published,
              "cosigned_checkpoint": run.witnessed.note.dumps()}
    if as_json:
        print_json(result)
    else:
        typer.echo(run.witnessed.note.dumps(), nl=False)
