"""An app on the test database with a pinned clock, a signed-in citizen and registered clients."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi.testclient import TestClient

from civicid.clock import FixedClock
from civicid.identity.service import CitizenService
from civicid.identity.sessions import COOKIE_NAME, SignInSessions
from civicid.oidc.clients import register_client
from civicid.registry.interfaces import RegistryRecord
from civicid.runtime import Runtime
from civicid.settings import Settings
from civicid.vault.fakes import FakeKeyProvider
from civicid.web.app import create_app

ISSUER = "http://localhost:8000"
ACR = "urn:civicid:acr:face-liveness"
START = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
VERIFIER = "v" * 20 + "-._~" + "0123456789abcdefghijklmnopqrstuvwxyz"  # 60 unreserved characters


@dataclass(frozen=True)
class RP:
    client_id: str
    secret: str | None
    redirect_uri: str

    @property
    def auth(self):
        return (self.client_id, self.secret)


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(session_factory, clock, tmp_path):
    settings = Settings(home=tmp_path, public_url=ISSUER, demo=False, environment="test")
    return Runtime(settings=settings, sessions=session_factory, keys=FakeKeyProvider(), clock=clock)


@pytest.fixture
def client(runtime):
    with TestClient(create_app(runtime.settings, runtime=runtime), base_url=ISSUER) as http:
        yield http


def make_citizen(runtime, *, id_number="11010519491231002X", name="Zhang Wei", birth=date(2000, 6, 15)) -> str:
    record = RegistryRecord(id_number=id_number, name=name, birth_date=birth, sex="F", photo=b"not-a-photo")
    with runtime.transaction() as session:
        return CitizenService(session, runtime.vault(session), runtime.clock).create(
            record, verification="face-liveness").id


def sign_in(http, runtime, citizen_id, *, amr=("hwk", "user")) -> str:
    with runtime.transaction() as session:
        token = SignInSessions(session, runtime.clock).create(citizen_id, amr=amr, acr=ACR)
    http.cookies.set(COOKIE_NAME, token)
    return token


def make_rp(runtime, *, redirect_uri="https://forum.example/callback", sector=None, **kwargs) -> RP:
    with runtime.transaction() as session:
        client_id, secret = register_client(session, runtime, name="Community Forum", redirect_uris=[redirect_uri],
                                            sector_identifier=sector, **kwargs)
    return RP(client_id, secret, redirect_uri)


@pytest.fixture
def citizen(runtime):
    return make_citizen(runtime)


@pytest.fixture
def rp(runtime):
    return make_rp(runtime, post_logout_redirect_uris=["https://forum.example/bye"])


@pytest.fixture
def signed_in(client, runtime, citizen):
    return sign_in(client, runtime, citizen)


def authorize_params(rp: RP, *, scope="openid age", state="st-1", nonce="n-1", verifier=VERIFIER, **extra):
    params = {"response_type": "code", "client_id": rp.client_id, "redirect_uri": rp.redirect_uri, "scope": scope,
              "state": state, "nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
              "code_challenge_method": "S256"}
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return html_lib.unescape(match.group(1))


def consent(http, page, *, decision="allow", claims=()):
    data = {"authorize_query": hidden(page.text, "authorize_query"), "csrf": hidden(page.text, "csrf"),
            "decision": decision, "claim": list(claims)}
    return http.post("/oauth2/consent", data=data, follow_redirects=False)


def redirect_params(response) -> dict[str, str]:
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def get_code(http, rp: RP, *, claims=(), **params) -> dict[str, str]:
    """Authorize (consenting if asked) and return the redirect's query parameters."""
    response = http.get("/oauth2/authorize", params=authorize_params(rp, **params), follow_redirects=False)
    if response.status_code == 200:
        response = consent(http, response, claims=claims)
    return redirect_params(response)


def exchange(http, rp: RP, code: str, *, verifier=VERIFIER, redirect_uri=None, auth="basic", **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri or rp.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    if auth == "basic":
        auth = rp.auth
    return http.post("/oauth2/token", data=data, auth=auth)
