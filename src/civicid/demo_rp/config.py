"""Where the demo forum finds its provider and its client credentials."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

CLIENT_NAME = "Community Forum (demo)"
DEFAULT_SCOPE = "openid age"
CREDENTIALS_FILE = "demo_rp_client.json"


@dataclass(frozen=True, slots=True)
class DemoRPConfig:
    """``base_url`` is where the forum itself is reached (its callback is ``base_url/callback``)."""

    issuer: str
    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = DEFAULT_SCOPE

    @property
    def redirect_uri(self) -> str:
        return self.base_url.rstrip("/") + "/callback"


def registered_client(runtime, *, issuer: str, base_url: str, scope: str = DEFAULT_SCOPE) -> DemoRPConfig:
    """The forum's client at the provider in ``runtime``'s database, per redirect URI (the mounted
    forum and a standalone one are two clients): read from ``<home>/demo_rp_client.json`` (0600), or
    registered once and saved there (the client secret is shown only once). A saved client that the
    database no longer knows is registered again."""
    from civicid.oidc.clients import register_client

    path = Path(runtime.settings.ensure_home()) / CREDENTIALS_FILE
    redirect_uri = base_url.rstrip("/") + "/callback"
    saved = _load(path)
    known = saved.get(redirect_uri)
    if known and _client_exists(runtime, known["client_id"]):
        return DemoRPConfig(issuer, base_url, known["client_id"], known["client_secret"], scope)
    with runtime.transaction() as session:
        client_id, client_secret = register_client(
            session, runtime, name=CLIENT_NAME, redirect_uris=[redirect_uri],
            backchannel_logout_uri=base_url.rstrip("/") + "/backchannel-logout")
    _save(path, {**saved, redirect_uri: {"client_id": client_id, "client_secret": client_secret}})
    return DemoRPConfig(issuer, base_url, client_id, client_secret, scope)


def _client_exists(runtime, client_id: str) -> bool:
    from civicid.oidc.models import OidcClient

    with runtime.transaction() as session:
        return session.get(OidcClient, client_id) is not None


def _load(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {uri: entry for uri, entry in data.items()
            if isinstance(entry, dict) and {"client_id", "client_secret"} <= entry.keys()}


def _save(path: Path, data: dict) -> None:
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(data, handle)
    os.replace(temporary, path)
