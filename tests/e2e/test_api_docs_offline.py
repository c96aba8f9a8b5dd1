"""Issue 13: /docs and /redoc work offline: Swagger UI and ReDoc from CivicID's own /static, under
their CSP, with every request to another host refused."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.mark.parametrize(("path", "title"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")])
def test_the_api_browsers_render_with_no_other_host_and_no_csp_violation(browser, live_server, path, title):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    elsewhere: list[str] = []
    refused: list[str] = []

    def offline(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", offline)
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    try:
        page.goto(path)
        heading = page.locator(title).first
        heading.wait_for(timeout=30_000)
        assert "CivicID" in heading.inner_text()
        assert elsewhere == []
        # ReDoc's "powered by" logo points at cdn.redoc.ly: the policy blocks it, and nothing else
        assert [text for text in refused if "cdn.redoc.ly/redoc/logo-mini.svg" not in text] == []
    finally:
        context.close()
