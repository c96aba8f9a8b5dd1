"""``civicid keys rotate-signing``: new ID-token signing keys (ES256, and RS256 for the clients that ask)."""

from __future__ import annotations

import typer

from civicid.cli.output import console, print_json, typed_errors
from civicid.runtime import build_runtime
from civicid.settings import Settings


def rotate_signing(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Make a new ID-token signing key current; old public keys stay published until their tokens expire.

    The old private keys are shredded at once: nothing can sign with them again."""
    from civicid.oidc.policy import OidcPolicy
    from civicid.oidc.signing_keys import SigningKeys

    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            rotation = SigningKeys(session, runtime.vault(session), runtime.clock, policy=OidcPolicy()).rotate()
    result = {"kid": rotation.new_kid, "kids": rotation.new_kids, "retired": list(rotation.retired),
              "published": list(rotation.published)}
    if as_json:
        print_json(result)
        return
    for alg, kid in rotation.new_kids.items():
        console.print(f"New {alg} signing key {kid} is current.")
    for kid in rotation.retired:
        console.print(f"  retired {kid} (still published until its ID tokens expire)")
