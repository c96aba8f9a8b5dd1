"""``civicid serve`` trusts X-Forwarded-For only from the proxies named in CIVICID_TRUSTED_PROXIES,
and only with --proxy-headers (uvicorn alone trusts any loopback peer)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import uvicorn
from typer.testing import CliRunner

from civicid.cli.main import app as cli
from tests.support.aio import run_sync

FORWARDED_FOR = "198.51.100.9"


def client_seen(options: dict, peer: str) -> str:
    """What the app sees as the client address, for a request from ``peer`` that carries an
    X-Forwarded-For header, under uvicorn configured with ``options``."""
    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]

    config = uvicorn.Config(app, **{key: options[key] for key in ("proxy_headers", "forwarded_allow_ips")
                                    if key in options})
    config.load()
    scope = {"type": "http", "client": (peer, 40000), "scheme": "http", "headers": [
        (b"x-forwarded-for", FORWARDED_FOR.encode()), (b"x-forwarded-proto", b"https")]}
    run_sync(config.loaded_app(scope, None, None))
    return seen["client"]


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """Runs ``civicid serve ARGS`` and returns the options it gave uvicorn (or the failed result)."""
    monkeypatch.setenv("CIVICID_HOME", str(tmp_path))
    monkeypatch.delenv("CIVICID_TRUSTED_PROXIES", raising=False)
    monkeypatch.setattr("civicid.runtime.build_runtime", lambda settings: SimpleNamespace(engine=None))

    def run(*args: str, **environment: str):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        captured = {}
        monkeypatch.setattr(uvicorn, "run", lambda *a, **options: captured.update(options))
        result = CliRunner().invoke(cli, ["serve", *args])
        return captured if result.exit_code == 0 else result

    return run


def test_forwarded_for_is_ignored_by_default_even_from_loopback(serve):
    options = serve()
    assert client_seen(options, peer="127.0.0.1") == "127.0.0.1"
    assert client_seen(options, peer="10.0.0.2") == "10.0.0.2"


def test_trusted_proxies_are_believed_and_no_one_else(serve):
    options = serve("--proxy-headers", CIVICID_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.1")
    assert client_seen(options, peer="10.1.2.3") == FORWARDED_FOR
    assert client_seen(options, peer="192.0.2.1") == FORWARDED_FOR
    assert client_seen(options, peer="127.0.0.1") == "127.0.0.1"
    assert client_seen(options, peer="203.0.113.5") == "203.0.113.5"


def test_proxy_headers_need_trusted_proxies(serve):
    result = serve("--proxy-headers")
    assert result.exit_code != 0 and "CIVICID_TRUSTED_PROXIES" in result.output


def test_trusted_proxies_turn_proxy_headers_on_unless_told_otherwise(serve):
    assert client_seen(serve(CIVICID_TRUSTED_PROXIES="10.0.0.0/8"), peer="10.1.2.3") == FORWARDED_FOR
    off = serve("--no-proxy-headers", CIVICID_TRUSTED_PROXIES="10.0.0.0/8")
    assert client_seen(off, peer="10.1.2.3") == "10.1.2.3"
