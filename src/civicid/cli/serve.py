from __future__ import annotations

import typer

from civicid.settings import Settings


# uvicorn's supervisor kills a worker that has not answered its health ping in 5 s by default; a
# worker's start (imports, the face models, the app) takes longer than that on a busy 2-core
# machine, and the workers were then killed and restarted in a loop.
WORKER_START_S = 120


def uvicorn_options(settings: Settings, *, proxy_headers: bool | None) -> dict:
    """Where the client address comes from. uvicorn on its own believes X-Forwarded-For from any
    loopback peer; here it is believed only from the proxies in CIVICID_TRUSTED_PROXIES, and
    only with proxy headers on (the default when such proxies are named). Behind a load
    balancer without them, every citizen would share its address, and its rate-limit keys."""
    trusted = settings.trusted_proxy_list
    if proxy_headers is None:
        proxy_headers = bool(trusted)
    if proxy_headers and not trusted:
        raise typer.BadParameter("--proxy-headers needs CIVICID_TRUSTED_PROXIES: the addresses or networks of the "
                                 "reverse proxies whose X-Forwarded-For may be believed", param_hint="--proxy-headers")
    if not proxy_headers:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted)}


def serve(
    host: str = typer.Option("localhost", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (the API tier is stateless)."),
    proxy_headers: bool | None = typer.Option(
        None, "--proxy-headers/--no-proxy-headers", show_default=False,
        help="Take the client's address and scheme from X-Forwarded-For and X-Forwarded-Proto sent by the "
             "proxies in CIVICID_TRUSTED_PROXIES (on when that is set)."),
) -> None:
    """Start the CivicID web service (default http://localhost:8000)."""
    import uvicorn

    from civicid.observability.logs import logging_config
    from civicid.runtime import build_runtime

    settings = Settings()
    options = uvicorn_options(settings, proxy_headers=proxy_headers)
    # Fail closed here, with a clear message, and migrate the database and create the keyring
    # once, before any worker starts (workers starting together would race to do it).
    runtime = build_runtime(settings)
    if runtime.engine is not None:
        runtime.engine.dispose()
    # No access log: its lines carry client addresses, which are personal data (DESIGN.md); latency
    # by route is in /metrics. Every worker logs one redacted line per record on stderr, JSON or
    # text (CIVICID_LOG_FORMAT; civicid.observability.logs).
    # httptools and uvloop: 0.24 ms of CPU per bare request here, against 0.56 ms with h11 and asyncio.
    uvicorn.run("civicid.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_config=logging_config(settings.log_format), log_level="info", access_log=False,
                http="httptools", loop="uvloop", timeout_worker_healthcheck=WORKER_START_S, **options)
