"""Issue 13 in the browser, for enrolment as test_recovery_page_lost_decision.py does for recovery:
the /enrol page's answer is lost (the connection drops after the server decided) and the page is
reloaded while it says "Checking…": the page fetches the decision kept for its session, shows
the network ID and goes on to the passkey step, signed in."""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.conftest import add_registry_person, id_number_for, start_camera, virtual_authenticator
from tests.e2e.page_checks import at_path, save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

BORN = date(1990, 1, 26)
ID_NUMBER = id_number_for(BORN, 62)
NAME = "Liu Yang"


def test_a_lost_enrolment_answer_and_a_reload_do_not_strand_the_citizen(browser, live_server):
    add_registry_person(live_server, id_number=ID_NUMBER, name=NAME, birth_date=BORN, sex="F")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    virtual_authenticator(context, page)
    decided: list[dict] = []

    def lose_the_answer(route):  # the server gets the frames and decides; the page never hears it
        decided.append(route.fetch(timeout=240_000).json())
        route.abort("connectionreset")

    try:
        start_camera(page, "/enrol?next=/account", id_number=ID_NUMBER, name=NAME)
        page.route("**/api/v1/enrolments/*/frames", lose_the_answer)
        page.route("**/api/v1/enrolments/*/decision", lambda route: route.abort("connectionreset"))
        page.click("#start-capture")
        page.locator("[role=progressbar]").wait_for(state="visible")

        for _ in range(480):  # polled from here: wait_for_function's eval() is refused by the CSP
            if decided and "Checking your face" in page.inner_text("#progress-text"):
                break
            page.wait_for_timeout(500)
        assert decided and decided[0]["decision"] == "enrolled", decided
        save_screenshot(page, "en", "enrol-checking")

        page.unroute("**/api/v1/enrolments/*/decision")
        page.reload()
        page.wait_for_selector("#passkey-step:not([hidden])", timeout=60_000)
        assert page.locator("#claim-form").is_hidden()
        assert decided[0]["network_id"] in page.inner_text("#enrol-status")
        assert page.request.get("/api/v1/me").status == 200  # the decision's sign-in cookie came with it
        page.click("#create-passkey")  # and the citizen goes on as if nothing was lost
        page.wait_for_url(at_path("/account"))
        assert page.locator("ul#passkeys li").count() == 1
    finally:
        context.close()
