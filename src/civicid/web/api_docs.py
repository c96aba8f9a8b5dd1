"""The API browsers (/docs, /redoc) without a CDN: Swagger UI's and ReDoc's files come from the
pinned ``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1; ``swagger-ui-bundle``
ships Swagger UI 4, which cannot), served under /static/api-docs, and FastAPI's pages point at
them. Swagger UI's one inline start-up script (and the OAuth2 redirect page's) is allowed by its
hash, so their content security policy names nothing outside CivicID (``boundary.headers``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/static/api-docs"
DOCS_URL = "/docs"
REDIRECT_URL = "/docs/oauth2-redirect"
REDOC_URL = "/redoc"


@dataclass(frozen=True, slots=True)
class ApiDocs:
    paths: tuple[str, ...]
    script_hashes: tuple[str, ...]  # CSP source expressions: 'sha256-...'


def script_hashes(html: str) -> tuple[str, ...]:
    """The CSP hash source of each inline script of ``html`` (CSP Level 3, §8.4)."""
    return tuple("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
                 for body in re.findall(r"<script>(.*?)</script>", html, re.S))


def install_api_docs(app: FastAPI, *, openapi_url: str, title: str) -> ApiDocs:
    """Mount the files and add /docs, its OAuth2 redirect page and /redoc; call it before the
    /static mount (Starlette matches mounts in order)."""
    page = get_swagger_ui_html(openapi_url=openapi_url, title=f"{title} - Swagger UI",
                               swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSETS}/favicon.png", oauth2_redirect_url=REDIRECT_URL)
    redirect = get_swagger_ui_oauth2_redirect_html()
    redoc = get_redoc_html(openapi_url=openapi_url, title=f"{title} - ReDoc", redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                           redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False)
    app.mount(ASSETS, StaticFiles(directory=files("fastapi_offline") / "static"), name="api-docs")

    async def docs() -> HTMLResponse:
        return HTMLResponse(page.body)

    async def oauth2_redirect() -> HTMLResponse:
        return HTMLResponse(redirect.body)

    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc.body)

    app.add_api_route(DOCS_URL, docs, include_in_schema=False)
    app.add_api_route(REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    app.add_api_route(REDOC_URL, redoc_page, include_in_schema=False)
    hashes = script_hashes(page.body.decode()) + script_hashes(redirect.body.decode())
    return ApiDocs((DOCS_URL, REDIRECT_URL, REDOC_URL), hashes)
