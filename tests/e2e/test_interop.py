"""Interoperability: panva's openid-client (Node) signs in to CivicID; the browser step (passkey,
consent) is driven here with Playwright, and the callback URL handed back to the Node script."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
from pathlib import Path

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


def _register_client(live_server, redirect_uri: str) -> tuple[str, str]:
    from civicid.oidc.clients import register_client
    from civicid.runtime import build_runtime

    runtime = build_runtime(live_server.settings())
    try:
        with runtime.transaction() as session:
            return register_client(session, runtime, name="Interop (openid-client)", redirect_uris=[redirect_uri])
    finally:
        runtime.engine.dispose()


def test_openid_client_signs_in_with_pkce_and_validates_the_id_token(passkey_browser, live_server, citizen, tmp_path):
    node = _node()
    # Another host than the demo forum's (localhost), hence another sector and another sub.
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    client_id, client_secret = _register_client(live_server, redirect_uri)
    env = {**os.environ, "ISSUER": live_server.url, "CLIENT_ID": client_id, "CLIENT_SECRET": client_secret,
           "REDIRECT_URI": redirect_uri, "SCOPE": "openid age"}
    process = subprocess.Popen([node, str(INTEROP / "signin.mjs")], cwd=INTEROP, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        authorization_url = _line(process)["authorization_url"]
        assert authorization_url.startswith(live_server.url + "/oauth2/authorize?")
        assert "code_challenge_method=S256" in authorization_url

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
        received = _line(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()

    assert "error" not in received, received
    claims, userinfo = received["id_token_claims"], received["userinfo"]
    assert claims["iss"] == received["issuer"] == live_server.url
    assert claims["aud"] == client_id or claims["aud"] == [client_id]
    assert claims["acr"] == "urn:civicid:acr:face-liveness" and "hwk" in claims["amr"]
    assert claims["sub"] == userinfo["sub"] and claims["sub"] != citizen.network_id
    assert userinfo["verified"] is True and userinfo["age_over_18"] is True
    assert "name" not in userinfo and "birthdate" not in userinfo
    assert received["token_type"].lower() == "bearer"
