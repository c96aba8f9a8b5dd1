"""``civicid serve`` for the sign-in measurements, patient with a busy machine.

uvicorn (0.54) kills a worker that has not answered its supervisor's health ping within
``timeout_worker_healthcheck`` (5 s), and on a 2-core machine shared with other jobs a worker's
start (imports, app construction) can take longer, so the workers were killed in a loop. The
server here is the same ``civicid serve`` (civicid.cli.main), with that timeout at 120 s.
"""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.e2e.live_server import LiveServer

LAUNCH = ("import uvicorn, functools; "
          "uvicorn.run = functools.partial(uvicorn.run, timeout_worker_healthcheck=120); "
          "from civicid.cli.main import app; app()")


class ScaleServer(LiveServer):
    def start(self, *, timeout_s: float = 180.0) -> None:
        self.log = open(self.home / "server.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", "--host", "localhost", "--port",
                                         str(self.port), "--workers", str(self.workers)],
                                        env=self.environment(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"civicid serve exited with {self.process.returncode}: {self.log_text()}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"civicid serve did not answer in {timeout_s} s: {self.log_text()}")
