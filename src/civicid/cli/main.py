"""The ``civicid`` command. Each sub-command lives in its own module."""

from __future__ import annotations

import logging

import typer

from civicid.cli import (audit, clients, demo_rp, enrol, face, keys, maintenance, partners, registry, serve, staff,
                         verify)

app = typer.Typer(
    name="civicid",
    help="CivicID: privacy-first national digital identity.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("verify")(verify.verify)
app.command("enrol")(enrol.enrol)
app.command("demo-rp")(demo_rp.demo_rp)
app.add_typer(face.app, name="face")
app.add_typer(registry.app, name="registry")
app.add_typer(partners.app, name="partners")
app.add_typer(clients.app, name="clients")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(staff.app, name="staff")
app.add_typer(maintenance.app, name="maintenance")


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more.")) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
