"""``/metrics`` and the request middleware that feeds it.

**Who may read /metrics.** With ``CIVICID_METRICS_TOKEN`` set, whoever sends ``Authorization:
Bearer <token>`` (a scraper through the load balancer); without it, only a client on the same
host (a loopback peer) whose request no proxy relayed (no ``X-Forwarded-For`` or ``Forwarded``
header). Anyone else gets 401 ``metrics.unauthorized`` (token set) or 403 ``metrics.forbidden``.
The metrics name nobody either way (civicid.observability.prometheus): the rule keeps traffic
volumes and failure rates, which help an attacker time an attack, to the operator.

**The middleware** is pure ASGI and outermost (around the HTTP boundary, so refusals are timed
too). Per request it draws a request id (the ``request_id`` of every log line the request
causes, and the ``X-Request-ID`` response header) and observes one histogram sample labelled by
the route's template (``/api/v1/enrolments/{session_id}/frames``), never the raw path: a path
that matched no route is ``unmatched``, one inside a mounted app without routes (``/static``)
is ``<mount>/{path}``. About 4 us per request (tests/unit/web/test_metrics.py measures it).
"""

from __future__ import annotations

import hmac
import ipaddress
from random import getrandbits
from time import perf_counter

from fastapi import FastAPI
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicid.errors import CivicIDError
from civicid.observability.logs import REQUEST_ID
from civicid.observability.prometheus import PrometheusMetrics
from civicid.settings import Settings

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_RELAYED = (b"x-forwarded-for", b"forwarded")


class MetricsUnauthorized(CivicIDError):
    code = "metrics.unauthorized"
    status = 401
    default_message = "The metrics need the metrics token (Authorization: Bearer)."
    headers = {"WWW-Authenticate": 'Bearer realm="metrics"'}


class MetricsForbidden(CivicIDError):
    code = "metrics.forbidden"
    status = 403
    default_message = "The metrics are served only to this host (or set CIVICID_METRICS_TOKEN)."


class RequestMetrics:
    """Times every HTTP request and gives it a request id (see the module doc)."""

    def __init__(self, app: ASGIApp, *, metrics: PrometheusMetrics) -> None:
        self.app = app
        self._histogram = metrics.http
        self._children: dict[tuple, object] = {}  # (route id, mount prefix, method, status) -> child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id = f"{getrandbits(64):016x}"
        # Not reset afterwards: each request runs in a task of its own, and the unexpected-error
        # handler, which logs, runs outside this middleware (Starlette's ServerErrorMiddleware).
        REQUEST_ID.set(request_id)
        header = (b"x-request-id", request_id.encode("ascii"))
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        root = scope.get("root_path", "")
        try:
            await self.app(scope, receive, send_observed)
        finally:
            self._observe(scope, root, status, perf_counter() - started)

    def _observe(self, scope: Scope, root: str, status: int, seconds: float) -> None:
        route = scope.get("route")
        prefix = scope.get("root_path", "")[len(root):]
        method = scope["method"]
        if method not in _METHODS:
            method = "OTHER"
        key = (id(route), prefix, method, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._histogram.labels(method, _label(route, prefix), str(status))
        child.observe(seconds)


def _label(route, prefix: str) -> str:
    """The route's template; mounts have fixed paths here, so the prefix is a template too."""
    if route is not None and isinstance(getattr(route, "path", None), str):
        return prefix + route.path
    return prefix + "/{path}" if prefix else UNMATCHED


def may_read_metrics(scope: Scope, token: str | None) -> None:
    """Raise unless this request may read the metrics (the rule in the module doc)."""
    headers = dict(scope["headers"])
    if token:
        sent = headers.get(b"authorization", b"")
        scheme, _, credential = sent.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credential.strip(), token.encode()):
            raise MetricsUnauthorized()
        return
    client = scope.get("client")
    if client is None or any(name in headers for name in _RELAYED) or not _is_loopback(client[0]):
        raise MetricsForbidden()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def install_metrics(app: FastAPI, settings: Settings) -> PrometheusMetrics:
    """The app's own registry, ``/metrics`` and the middleware; call it last in ``create_app``,
    after the boundary, so the middleware is outermost. Returns the metrics, for the runtime."""
    from civicid.web.routes.health import log_outbox

    def read_outbox():
        runtime = app.state.runtime
        if runtime is None:
            raise RuntimeError("the runtime has not started")
        with runtime.transaction() as session:
            return log_outbox(runtime, session)

    metrics = PrometheusMetrics(outbox=read_outbox)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    def serve_metrics(request: Request) -> Response:
        """The Prometheus text format (run in a worker thread: the outbox is read from the database)."""
        may_read_metrics(request.scope, token)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_PLAIN_0_0_4,
                        headers={"Cache-Control": "no-store"})

    app.router.add_route(METRICS_PATH, serve_metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.state.metrics = metrics
    return metrics
