"""What the request-metrics middleware adds to a request (the sign-in path's budget is a few µs).

Run: .venv/bin/python bench/middleware_bench.py
Writes bench/results/middleware_bench.json. The same trivial ASGI app is called 20,000 times with
and without the middleware, three times each, in this process; the figure is the smallest
difference per request.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from types import SimpleNamespace

from civicid.observability.prometheus import PrometheusMetrics
from civicid.web.metrics import RequestMetrics

OUT = Path(__file__).parent / "results"
REQUESTS = 20_000


async def main() -> dict:
    route = SimpleNamespace(path="/api/v1/signin/verify")

    async def app(scope, receive, send):
        scope["route"] = route
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message):
        pass

    async def receive():
        return {"type": "http.request"}

    timed = RequestMetrics(app, metrics=PrometheusMetrics(process=False))

    async def per_request(target) -> float:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            await target({"type": "http", "method": "POST", "path": "/x", "root_path": "", "headers": []},
                         receive, send)
        return (time.perf_counter() - started) / REQUESTS

    added = [await per_request(timed) - await per_request(app) for _ in range(3)]
    return {"requests": REQUESTS, "added_us_per_request_min": round(min(added) * 1e6, 2),
            "added_us_per_request_runs": [round(a * 1e6, 2) for a in added]}


if __name__ == "__main__":
    report = asyncio.run(main())
    OUT.mkdir(exist_ok=True)
    (OUT / "middleware_bench.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
