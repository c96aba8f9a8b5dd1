"""Security headers on every response, a CSP the pages actually satisfy, and production
defaults without the demo and the API browser."""

from __future__ import annotations

import re
from datetime import date

from civicid.identity.service import CitizenService
from civicid.identity.sessions import COOKIE_NAME, SignInSessions
from civicid.registry.interfaces import RegistryRecord
from tests.integration.web.asgi import call

PAGES = ["/", "/signin", "/enrol", "/recover", "/account", "/api/v1/health", "/api/v1/nothing-here",
         "/static/civicid.css", "/static/citizen/enrol.js", "/.well-known/openid-configuration",
         "/oauth2/authorize?client_id=nobody", "/demo-rp/"]
PRODUCTION = {"environment": "production", "session_secret": "s" * 40, "database_url": "postgresql://db/civicid",
              "registry_url": "https://registry.example/api"}


def csp_of(headers) -> dict[str, list[str]]:
    policy = {}
    for directive in headers["content-security-policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


def assert_secure(headers, where):
    csp = csp_of(headers)
    assert csp["frame-ancestors"] == ["'none'"], where
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], where
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert headers["x-content-type-options"] == "nosniff", where
    assert headers["x-frame-options"] == "DENY", where
    assert headers["referrer-policy"] == "no-referrer", where
    permissions = dict(item.strip().split("=", 1) for item in headers["permissions-policy"].split(","))
    assert permissions["camera"] == "(self)" and permissions["microphone"] == "()", where
    assert permissions["geolocation"] == "()", where


def signed_in(client):
    runtime = client.app.state.runtime
    record = RegistryRecord(id_number="11010519900307005X", name="Li Ming", birth_date=date(1990, 3, 7), sex="M",
                            photo=b"")
    with runtime.transaction() as session:
        citizen = CitizenService(session, runtime.vault(session), runtime.clock).create(record, verification="face")
        client.cookies.set(COOKIE_NAME, SignInSessions(session, runtime.clock).create(
            citizen.id, amr=("face", "user"), acr="urn:civicid:acr:face"))


def test_every_response_carries_the_security_headers(client):
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert_secure(response.headers, path)
        assert "strict-transport-security" not in response.headers  # public URL is http
    # answers of the boundary itself
    too_large = call(client.app, "POST", "/api/v1/enrolments", headers=[("content-length", "999999999")])
    cross_site = call(client.app, "POST", "/api/v1/signout", headers=[("origin", "https://evil.example")])
    for reply in (too_large, cross_site):
        assert reply.status in (403, 413)
        assert_secure(reply.headers, reply.code)


def test_hsts_when_the_public_url_is_https(make_client):
    client = make_client(public_url="https://id.example.gov")
    for path in ("/", "/api/v1/health", "/api/v1/nothing-here"):
        hsts = client.get(path).headers["strict-transport-security"]
        assert int(re.match(r"max-age=(\d+)", hsts).group(1)) >= 31536000


def test_pages_have_no_inline_script_or_style_that_the_csp_would_block(client):
    signed_in(client)
    for path in ("/", "/signin", "/enrol", "/recover", "/account", "/oauth2/authorize?client_id=nobody"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code in (200, 400) and "<html" in page.text, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), path
        assert "<style" not in page.text and not re.search(r"\sstyle=", page.text), path
        assert not re.search(r"\son[a-z]+\s*=", page.text), path


def test_the_account_page_cannot_be_framed(client):
    signed_in(client)
    for path in ("/account", "/enrol", "/recover"):
        response = client.get(path)
        assert response.status_code == 200
        assert csp_of(response.headers)["frame-ancestors"] == ["'none'"]


def test_api_docs_work_in_development_offline(client):
    """Issue 13: Swagger UI and ReDoc from the pinned fastapi-offline package under /static, no
    CDN; Swagger UI's inline start-up script allowed by its hash, not by 'unsafe-inline'."""
    from civicid.web.api_docs import script_hashes

    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "https://" not in docs.text
    csp = csp_of(docs.headers)
    assert "'unsafe-inline'" not in csp["script-src"] and not any("https:" in s for s in csp["script-src"])
    assert set(script_hashes(docs.text)) <= set(csp["script-src"]) and csp["frame-ancestors"] == ["'none'"]
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "https://" not in redoc.text
    for asset in re.findall(r'(?:src|href)="(/static/api-docs/[^"]+)"', docs.text + redoc.text):
        assert client.get(asset).status_code == 200, asset
    redirect = client.get("/docs/oauth2-redirect")
    assert set(script_hashes(redirect.text)) <= set(csp_of(redirect.headers)["script-src"])
    assert client.get("/openapi.json").status_code == 200


def test_production_turns_the_demo_and_the_api_browser_off_by_default(make_client):
    client = make_client(**PRODUCTION)
    settings = client.app.state.settings
    assert settings.demo is False
    for path in ("/docs", "/redoc", "/openapi.json", "/demo-rp/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/health").status_code == 200
