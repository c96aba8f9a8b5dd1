"""The sign-in page's ``next`` may only lead back into CivicID (no open redirect)."""

import pytest

from civicid.web.routes.pages import safe_next


@pytest.mark.parametrize("value", [
    "/oauth2/authorize?client_id=abc&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fdemo-rp%2Fcallback",
    "/account",
    "/demo-rp/",
])
def test_relative_paths_are_kept(value):
    assert safe_next(value) == value


@pytest.mark.parametrize("value", [
    None, "", "https://evil.example/", "http://localhost:8000/account", "//evil.example", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "account", "/\tevil", "/a\nb", "/" + "a" * 5000,
])
def test_everything_else_falls_back(value):
    assert safe_next(value) == "/account"
