"""The demo forum's pages: home (what CivicID sent), /login, /callback, /logout, and the
back-channel logout receiver POST /backchannel-logout (``civicid.demo_rp.backchannel``)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Callable

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from civicid.demo_rp import backchannel
from civicid.demo_rp.config import DemoRPConfig
from civicid.demo_rp.sessions import MemorySessions, SessionMiddleware
from civicid.web import i18n

TEMPLATES = Path(__file__).parent / "templates"
ConfigSource = DemoRPConfig | Callable[[], DemoRPConfig]


class _Provider:
    """The Authlib client, built on the first request (a mounted forum learns its client id
    from the provider's database, which exists only once the main app has started)."""

    def __init__(self, source: ConfigSource) -> None:
        self._source = source
        self._lock = asyncio.Lock()
        self.config: DemoRPConfig | None = source if isinstance(source, DemoRPConfig) else None
        self.client = None

    async def get(self):
        async with self._lock:
            if self.config is None:
                self.config = await run_in_threadpool(self._source)
            if self.client is None:
                oauth = OAuth()
                self.client = oauth.register(
                    name="civicid", client_id=self.config.client_id, client_secret=self.config.client_secret,
                    server_metadata_url=self.config.issuer.rstrip("/") + "/.well-known/openid-configuration",
                    client_kwargs={"scope": self.config.scope, "code_challenge_method": "S256",
                                   "token_endpoint_auth_method": "client_secret_basic"},
                )
        return self.config, self.client


def create_demo_rp(source: ConfigSource, *, secure_cookies: bool = False,
                   jwks: backchannel.JwksSource | None = None, now: Callable[[], float] = time.time) -> Starlette:
    """``jwks``: where the provider's keys come from (default: its ``jwks_uri``, by Authlib);
    ``now``: the forum's clock, in seconds (logout tokens' ``iat``/``exp``, seen ``jti`` values)."""
    templates = Jinja2Templates(directory=TEMPLATES)
    provider = _Provider(source)
    store = MemorySessions()
    seen = backchannel.SeenJtis(now=now)

    async def provider_jwks(force: bool) -> dict:
        if jwks is not None:
            return await jwks(force)
        _, client = await provider.get()
        return await client.fetch_jwk_set(force=force)

    def page(request: Request, status_code: int = 200, **context):
        return templates.TemplateResponse(request, "forum.html", {"base": request.scope.get("root_path", ""),
                                                                  **context}, status_code=status_code)

    async def home(request: Request):
        received = request.session.get("received")
        return page(request, received=received,
                    pretty=json.dumps(received, indent=2, sort_keys=True) if received else None)

    async def login(request: Request):
        config, client = await provider.get()
        return await client.authorize_redirect(request, config.redirect_uri)

    async def callback(request: Request):
        _, client = await provider.get()
        try:
            token = await client.authorize_access_token(request)
            userinfo = await client.userinfo(token=token)
        except OAuthError as exc:  # the page says it in words; the code alone goes to the template
            return page(request, status_code=400, error=exc.error or "error")
        id_token = dict(token.get("userinfo") or {})
        request.session["received"] = {
            "id_token": id_token,
            "userinfo": dict(userinfo),
            "scope": token.get("scope", ""),
            "token_type": token.get("token_type"),
            "refresh_token": "refresh_token" in token,
        }
        request.session["id_token_hint"] = token.get("id_token")
        return RedirectResponse(request.scope.get("root_path", "") + "/", status_code=303)

    async def backchannel_logout(request: Request):
        """Back-Channel Logout 1.0 §2.5-2.8: 200 once the matching sessions are gone, 400 for an
        invalid token; never cached."""
        no_store = {"Cache-Control": "no-store"}
        config, _ = await provider.get()
        form = await request.form()
        try:
            claims = await backchannel.validate(form.get("logout_token"), issuer=config.issuer,
                                                client_id=config.client_id, jwks=provider_jwks, seen=seen,
                                                now=now)
        except backchannel.InvalidLogoutToken as error:
            return JSONResponse({"error": "invalid_request", "error_description": str(error)}, status_code=400,
                                headers=no_store)
        store.drop_where(lambda data: backchannel.matches(data, claims))
        return Response(status_code=200, headers=no_store)

    async def logout(request: Request):
        request.session.clear()
        return RedirectResponse(request.scope.get("root_path", "") + "/", status_code=303)

    app = Starlette(routes=[
        Route("/", home),
        Route("/login", login),
        Route("/callback", callback),
        Route("/logout", logout, methods=["POST"]),
        Route("/backchannel-logout", backchannel_logout, methods=["POST"]),
    ])
    app.add_middleware(SessionMiddleware, store=store, secure=secure_cookies)
    i18n.install(app, templates)  # the forum speaks the visitor's language too (cookie, Accept-Language)
    app.state.provider = provider
    app.state.sessions = store
    return app


def mount_demo_rp(app, settings, *, path: str = "/demo-rp") -> None:
    """Mount the forum inside the main app (demo mode). It registers itself as a client of this
    CivicID on its first request, through the main app's runtime."""
    from civicid.demo_rp.config import registered_client

    issuer = settings.public_url.rstrip("/")
    app.mount(path, create_demo_rp(lambda: registered_client(app.state.runtime, issuer=issuer,
                                                             base_url=issuer + path),
                                   secure_cookies=issuer.startswith("https://")))
