"""Interoperability: panva's openid-client (Node) signs in to CivicID; the browser step (passkey,
consent) is driven here with Playwright, and the callback URL handed back to the Node script."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import shot
from tests.e2e.live_server import free_port, require_tool

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
INTEROP = Path(__file__).parent / "interop"


def _node() -> str:
    node = require_tool(shutil.which("node"), "Node.js (node)")
    require_tool(str(INTEROP / "node_modules" / "openid-client" / "package.json"),
                 "openid-client (run `npm ci` in tests/e2e/interop, as `make test` does)")
    return node


def _line(process: subprocess.Popen, timeout_s: float = 60) -> dict:
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    if not ready:
        process.kill()
        raise AssertionError(f"the Node client printed nothing in {timeout_s} s: {process.stderr.read()}")
    line = process.stdout.readline()
    if not line:
        raise AssertionError(f"the Node client exited ({process.wait()}): {process.stderr.read()}")
    return json.loads(line)


def _register_client(live_server, redirect_uri: str, **options) -> tuple[str, str]:
    from civicid.oidc.clients import register_client
    from civicid.runtime import build_runtime

    runtime = build_runtime(live_server.settings())
    try:
        with runtime.transaction() as session:
            return register_client(session, runtime, name="Interop (openid-client)", redirect_uris=[redirect_uri],
                                   **options)
    finally:
        runtime.engine.dispose()


def _sign_in(node, passkey_browser, live_server, tmp_path, redirect_uri: str, env: dict, *,
             check_url: Callable[[str], None]) -> dict:
    """Run signin.mjs, drive the browser step with the URL it prints, return what it received."""
    process = subprocess.Popen([node, str(INTEROP / "signin.mjs")], cwd=INTEROP, env={**os.environ, **env},
                               text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        authorization_url = _line(process)["authorization_url"]
        assert authorization_url.startswith(live_server.url + "/oauth2/authorize?")
        check_url(authorization_url)

        page = passkey_browser.page
        passkey_browser.sign_out(live_server.url)
        callbacks: list[str] = []

        def capture(route):
            callbacks.append(route.request.url)
            route.fulfill(status=200, content_type="text/plain", body="handed back to the Node client")

        page.route(redirect_uri + "*", capture)
        page.goto(authorization_url)
        page.wait_for_url("**/signin?next=*")
        page.click("#signin-button")
        page.wait_for_selector("#consent")
        shot(page, tmp_path, "interop_consent")
        page.click("#consent-allow")
        page.wait_for_url(redirect_uri + "*")
        assert len(callbacks) == 1 and "code=" in callbacks[0]

        process.stdin.write(callbacks[0] + "\n")
        process.stdin.flush()
        return _line(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_openid_client_signs_in_with_pkce_and_validates_the_id_token(passkey_browser, live_server, citizen, tmp_path):
    node = _node()
    # Another host than the demo forum's (localhost), hence another sector and another sub.
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    client_id, client_secret = _register_client(live_server, redirect_uri)
    env = {"ISSUER": live_server.url, "CLIENT_ID": client_id, "CLIENT_SECRET": client_secret,
           "REDIRECT_URI": redirect_uri, "SCOPE": "openid age"}

    def check_url(url: str) -> None:
        assert "code_challenge_method=S256" in url

    received = _sign_in(node, passkey_browser, live_server, tmp_path, redirect_uri, env, check_url=check_url)
    assert "error" not in received, received
    claims, userinfo = received["id_token_claims"], received["userinfo"]
    assert claims["iss"] == received["issuer"] == live_server.url
    assert claims["aud"] == client_id or claims["aud"] == [client_id]
    assert claims["acr"] == "urn:civicid:acr:face-liveness" and "hwk" in claims["amr"]
    assert claims["sub"] == userinfo["sub"] and claims["sub"] != citizen.network_id
    assert userinfo["verified"] is True and userinfo["age_over_18"] is True
    assert "name" not in userinfo and "birthdate" not in userinfo
    assert received["token_type"].lower() == "bearer"


def test_openid_client_signs_in_with_fapi2_par_dpop_and_private_key_jwt(passkey_browser, live_server, citizen,
                                                                       tmp_path):
    """FAPI 2.0 Security Profile: the request is pushed (the browser gets client_id and
    request_uri only), the client authenticates with private_key_jwt, the tokens are DPoP-bound
    (openid-client retries with the server nonce) and userinfo takes the DPoP proof."""
    from joserfc.jwk import ECKey

    node = _node()
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    key = ECKey.generate_key("P-256", parameters={"kid": "interop-fapi"})
    client_id, _ = _register_client(live_server, redirect_uri, token_endpoint_auth_method="private_key_jwt",
                                    jwks={"keys": [key.as_dict(private=False)]}, fapi=True)
    env = {"ISSUER": live_server.url, "CLIENT_ID": client_id, "REDIRECT_URI": redirect_uri, "SCOPE": "openid age",
           "CLIENT_PRIVATE_JWK": json.dumps(key.as_dict(private=True))}

    def check_url(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        assert set(query) == {"client_id", "request_uri"}, query
        assert query["request_uri"][0].startswith("urn:ietf:params:oauth:request_uri:")

    received = _sign_in(node, passkey_browser, live_server, tmp_path, redirect_uri, env, check_url=check_url)
    assert "error" not in received, received
    assert received["token_type"].lower() == "dpop"
    assert received["id_token_claims"]["aud"] in (client_id, [client_id])
    assert received["userinfo"]["sub"] == received["id_token_claims"]["sub"]
    assert received["userinfo"]["age_over_18"] is True
