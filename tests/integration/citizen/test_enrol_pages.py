"""Issue 13: the enrolment and recovery pages without JavaScript, and their progress indicator."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("path", ["/enrol", "/recover"])
def test_the_claim_form_posts_and_says_the_camera_needs_javascript(harness_factory, path):
    page = harness_factory().client.get(path)
    assert page.status_code == 200
    form = re.search(r'<form id="claim-form"[^>]*>', page.text).group(0)
    assert 'method="post"' in form  # without JavaScript the ID number never goes into the URL
    assert re.search(r"<noscript>.*camera step needs JavaScript.*</noscript>", page.text, re.S)
    assert 'role="progressbar"' in page.text and 'id="progress-text" aria-live="polite"' in page.text


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(("method", "path", "status", "heading"), [
    ("GET", "/no-such-page", 404, "Page not found"),
    ("POST", "/enrol", 405, "This page cannot be used that way"),  # the claim form without JavaScript
    ("GET", "/api/v1/me/no-such", 404, None),
])
def test_a_browser_gets_error_pages_in_the_sites_style_and_api_clients_json(harness_factory, method, path, status,
                                                                           heading):
    client = harness_factory().client
    page = client.request(method, path, headers=BROWSER, data={"id_number": "x", "name": "y"} if method == "POST" else None)
    assert page.status_code == status
    if heading is None:  # under /api/: typed JSON whatever the Accept header
        assert page.headers["content-type"].startswith("application/json")
        return
    assert page.headers["content-type"].startswith("text/html")
    assert f"<h1>{heading}</h1>" in page.text and '/static/civicid.css' in page.text
    assert "request." not in page.text and "{" not in page.text
    api = client.request(method, path, headers={"Accept": "application/json"})
    assert api.status_code == status and api.json()["error"]["code"].startswith("request.")


def test_a_browser_that_is_not_signed_in_gets_a_page_for_401(harness_factory):
    from civicid.web.routes.me import AuthRequired

    client = harness_factory().client

    def signed_in_only():
        raise AuthRequired()

    client.app.add_api_route("/a-page-for-citizens", signed_in_only)
    page = client.get("/a-page-for-citizens", headers=BROWSER)
    assert page.status_code == 401 and "<h1>Sign in first</h1>" in page.text and 'href="/signin"' in page.text
    api = client.get("/api/v1/me", headers=BROWSER)
    assert api.status_code == 401 and api.json()["error"]["code"] == "auth.required"
