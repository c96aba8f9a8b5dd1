"""The HTTP boundary's settings: production defaults, trusted proxies, body limits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from civicid.settings import Settings

PRODUCTION = {"environment": "production", "session_secret": "s" * 40, "database_url": "postgresql://db/civicid"}


def test_production_has_no_demo_and_no_api_browser_unless_asked(tmp_path):
    production = Settings(home=tmp_path, registry_url="https://registry.example", **PRODUCTION)
    assert (production.demo, production.api_docs) == (False, False)
    asked = Settings(home=tmp_path, demo=True, api_docs=True, **PRODUCTION)
    assert (asked.demo, asked.api_docs) == (True, True)
    development = Settings(home=tmp_path)
    assert (development.demo, development.api_docs) == (True, True)


def test_demo_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("CIVICID_DEMO", "false")
    assert Settings(home=tmp_path).demo is False


def test_production_without_the_demo_needs_a_population_registry(tmp_path):
    with pytest.raises(ValidationError, match="CIVICID_REGISTRY_URL"):
        Settings(home=tmp_path, **PRODUCTION)


def test_trusted_proxies_are_addresses_or_networks(tmp_path):
    assert Settings(home=tmp_path).trusted_proxy_list == ()
    assert Settings(home=tmp_path, trusted_proxies=" 10.0.0.0/8, 192.0.2.1 ,2001:db8::/32").trusted_proxy_list == (
        "10.0.0.0/8", "192.0.2.1", "2001:db8::/32")
    for bad in ("*", "proxy.internal", "10.0.0.0/33"):
        with pytest.raises(ValidationError, match="CIVICID_TRUSTED_PROXIES"):
            Settings(home=tmp_path, trusted_proxies=bad)


def test_body_limits(tmp_path):
    settings = Settings(home=tmp_path, max_body_bytes=1024, enrolment_max_total_bytes=4096)
    assert settings.max_body_bytes == 1024
    with pytest.raises(ValidationError):
        Settings(home=tmp_path, max_body_bytes=10)
