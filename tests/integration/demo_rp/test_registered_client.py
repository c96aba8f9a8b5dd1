"""The demo forum registers itself once per redirect URI and keeps its secret in the home (0600)."""

import json
import stat

from civicid.demo_rp.config import CREDENTIALS_FILE, registered_client
from civicid.oidc.models import OidcClient


def test_registered_once_per_redirect_uri_and_again_when_the_database_forgot(harness_factory, tmp_path):
    h = harness_factory()
    mounted = registered_client(h.runtime, issuer="http://localhost:8000", base_url="http://localhost:8000/demo-rp")
    again = registered_client(h.runtime, issuer="http://localhost:8000", base_url="http://localhost:8000/demo-rp")
    standalone = registered_client(h.runtime, issuer="http://localhost:8000", base_url="http://localhost:8001")
    assert (again.client_id, again.client_secret) == (mounted.client_id, mounted.client_secret)
    assert standalone.client_id != mounted.client_id
    assert mounted.redirect_uri == "http://localhost:8000/demo-rp/callback"

    path = tmp_path / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {mounted.redirect_uri, standalone.redirect_uri}
    with h.runtime.transaction() as session:
        stored = session.get(OidcClient, mounted.client_id)
        assert mounted.client_secret not in (stored.secret_hash or "")
        session.delete(stored)
    renewed = registered_client(h.runtime, issuer="http://localhost:8000", base_url="http://localhost:8000/demo-rp")
    assert renewed.client_id != mounted.client_id
