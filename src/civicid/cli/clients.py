"""``civicid clients``: relying parties allowed to "Sign in with CivicID"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from civicid.cli.output import console, print_json, typed_errors
from civicid.runtime import build_runtime
from civicid.settings import Settings

app = typer.Typer(help="OpenID Connect relying parties.", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Option(..., "--name", help="The service's name, shown on the consent page."),
    redirect_uri: list[str] = typer.Option(..., "--redirect-uri", help="Exact redirect URI (repeatable)."),
    sector_identifier: Optional[str] = typer.Option(
        None, "--sector-identifier", help="Clients of one sector share pairwise subjects (OIDC Core §8.1)."),
    post_logout_redirect_uri: list[str] = typer.Option(
        [], "--post-logout-redirect-uri", help="Exact URI to return to after logout (repeatable)."),
    auth_method: str = typer.Option("client_secret_basic", "--auth-method",
                                    help="client_secret_basic or private_key_jwt."),
    jwks_file: Optional[Path] = typer.Option(None, "--jwks", help="Public JWKS file for private_key_jwt.",
                                             exists=True, dir_okay=False, readable=True),
    id_token_alg: str = typer.Option("ES256", "--id-token-alg", help="ID-token signing: ES256 or RS256."),
    fapi: bool = typer.Option(False, "--fapi", help="FAPI 2.0 client: private_key_jwt, PAR and DPoP required."),
    require_par: bool = typer.Option(False, "--require-par",
                                     help="Authorization requests only through PAR (RFC 9126 §6)."),
    dpop: bool = typer.Option(False, "--dpop", help="DPoP-bound tokens always (RFC 9449 §5.2)."),
    backchannel_logout_uri: Optional[str] = typer.Option(
        None, "--backchannel-logout-uri", help="Where logout tokens are POSTed (Back-Channel Logout 1.0)."),
    backchannel_logout_session_required: bool = typer.Option(
        False, "--backchannel-logout-session-required", help="Every logout token carries a sid."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Register a relying party; prints its client id and secret ONCE (only a hash is stored)."""
    from civicid.oidc.clients import register_client

    with typed_errors(as_json):
        jwks = _read_jwks(jwks_file) if jwks_file else None
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            client_id, secret = register_client(
                session, runtime, name=name, redirect_uris=redirect_uri, sector_identifier=sector_identifier,
                token_endpoint_auth_method=auth_method, jwks=jwks, post_logout_redirect_uris=post_logout_redirect_uri,
                id_token_signed_response_alg=id_token_alg, fapi=fapi, require_pushed_authorization_requests=require_par,
                dpop_bound_access_tokens=dpop, backchannel_logout_uri=backchannel_logout_uri,
                backchannel_logout_session_required=backchannel_logout_session_required)
    if as_json:
        print_json({"client_id": client_id, "client_secret": secret, "name": name.strip(),
                    "token_endpoint_auth_method": auth_method, "id_token_signed_response_alg": id_token_alg,
                    "require_pushed_authorization_requests": fapi or require_par,
                    "dpop_bound_access_tokens": fapi or dpop, "backchannel_logout_uri": backchannel_logout_uri,
                    "backchannel_logout_session_required": backchannel_logout_session_required})
        return
    console.print(f"Relying party [bold]{name.strip()}[/bold] registered.")
    console.print(f"  client id:     {client_id}")
    if secret:
        console.print(f"  client secret: {secret}")
        console.print("Store the secret now: it is not shown again and cannot be recovered.")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The registered relying parties (never their secrets)."""
    from civicid.oidc.clients import list_clients

    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        with runtime.transaction() as session:
            clients = list_clients(session)
    if as_json:
        print_json({"clients": [{"client_id": c.client_id, "name": c.name, "redirect_uris": list(c.redirect_uris),
                                 "post_logout_redirect_uris": list(c.post_logout_redirect_uris), "sector": c.sector,
                                 "token_endpoint_auth_method": c.token_endpoint_auth_method,
                                 "id_token_signed_response_alg": c.id_token_signed_response_alg, "active": c.active,
                                 "backchannel_logout_uri": c.backchannel_logout_uri,
                                 "backchannel_logout_session_required": c.backchannel_logout_session_required,
                                 "created_at": c.created_at.isoformat()} for c in clients]})
        return
    if not clients:
        console.print("No relying parties yet: add one with `civicid clients add`.")
    for c in clients:
        console.print(f"{c.client_id}  {c.name}  sector={c.sector}  {c.token_endpoint_auth_method}  "
                      f"{' '.join(c.redirect_uris)}")


def _read_jwks(path: Path) -> dict:
    from civicid.oidc.errors import ClientInvalid

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ClientInvalid(f"Cannot read the JWKS file: {error}.", field="jwks") from None
