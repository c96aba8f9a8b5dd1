"""A real CivicID server for end-to-end tests: ``civicid serve`` in a subprocess on a free port,
with its own CIVICID_HOME (SQLite, local keys) and public URL http://localhost:<port>."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_tool(path: str | None, what: str) -> str:
    """The tool's path; skips the test when it is missing, but fails under CI=true."""
    import pytest

    if path and Path(path).exists():
        return path
    message = f"{what} was not found; install it (make system-deps) to run the end-to-end tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true and " + message)
    pytest.skip(message)


@dataclass
class LiveServer:
    home: Path
    port: int
    database_url: str | None = None  # SQLite in ``home`` unless given
    workers: int = 1
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "CIVICID_DATABASE_URL"}
        if self.database_url:
            env["CIVICID_DATABASE_URL"] = self.database_url
        return {**env, "CIVICID_HOME": str(self.home), "CIVICID_PUBLIC_URL": self.url, "CIVICID_ENVIRONMENT": "test",
                "CIVICID_DEMO": "true", "CIVICID_ENROLMENT_MIN_RESPONSE_S": "0", "CIVICID_FACE_WORKERS": "1",
                # The fake camera plays a recording, which cannot follow live prompts: pin what it shows.
                "CIVICID_TEST_CHALLENGE": "turn_right,turn_left",
                # Every test's browser is one client (127.0.0.1): its budgets are a whole town's here.
                "CIVICID_ENROLMENT_STARTS_PER_CLIENT_PER_HOUR": "1000",
                "CIVICID_ENROLMENT_FAILURES_PER_CLIENT_PER_HOUR": "1000"}

    def settings(self):
        from civicid.settings import Settings

        return Settings(home=self.home, public_url=self.url, environment="test", demo=True,
                        database_url=self.database_url)

    def start(self, *, timeout_s: float = 60.0) -> None:
        civicid = shutil.which("civicid", path=str(Path(sys.executable).parent)) or "civicid"
        self.log = open(self.home / "server.log", "wb")
        self.process = subprocess.Popen([civicid, "serve", "--host", "localhost", "--port", str(self.port),
                                         "--workers", str(self.workers)],
                                        env=self.environment(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"civicid serve exited with {self.process.returncode}: {self.log_text()}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"civicid serve did not answer in {timeout_s} s: {self.log_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def log_text(self) -> str:
        try:
            return (self.home / "server.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""
