"""/account in a real browser (issue 13). With JavaScript off, a citizen of their own (enrolled for
this test, because it ends by deleting them) sees what is held, changes the network ID, downloads
their data and deletes their CivicID, all through plain forms. With JavaScript on, at a phone's
width, "Check proof" verifies an entry's inclusion proof and the signed tree head in the page
(static/citizen/proof.js, WebCrypto) and names the head it checked against."""

from __future__ import annotations

import json
import re
import time
from datetime import date

import pytest

from civicid.ids.checksum import check_character
from tests.conftest import require_data
from tests.e2e.conftest import shot
from tests.e2e.enrol_http import CLIP, enrol_over_http, registry_photo

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

BASE = "11010519850615123"
ID_NUMBER = BASE + check_character(BASE)
NAME = "Chen Jing"


def enrol_own(live_server, id_number: str, name: str, birth_date: date) -> dict:
    from civicid.registry.demo import DemoRegistry
    from civicid.registry.interfaces import RegistryRecord
    from civicid.runtime import build_runtime

    clip = require_data("videos", CLIP)
    runtime = build_runtime(live_server.settings())
    with runtime.transaction() as session:
        DemoRegistry(session, runtime.vault(session), runtime.clock).add(RegistryRecord(
            id_number=id_number, name=name, birth_date=birth_date, sex="F", photo=registry_photo(clip)))
    runtime.engine.dispose()
    answer = enrol_over_http(live_server.url, clip, id_number=id_number, name=name)
    assert answer["decision"] == "enrolled", answer
    return answer


@pytest.fixture
def own_citizen(live_server):
    return enrol_own(live_server, ID_NUMBER, NAME, date(1985, 6, 15))


def test_account_page_without_javascript(browser, live_server, own_citizen, tmp_path):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, accept_downloads=True)
    context.add_cookies([{"name": "civicid_session", "value": own_citizen["session_token"], "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto("/account")
        assert page.inner_text("#held-name") == NAME
        assert page.inner_text("#held-birth-date") == "1985-06-15"
        masked = page.inner_text("#held-id-number")
        assert masked.startswith("110") and masked.endswith(ID_NUMBER[-2:]) and ID_NUMBER not in page.content()
        assert page.inner_text("#network-id") == own_citizen["network_id"]
        assert "You enrolled with CivicID" in page.inner_text("#history")
        shot(page, tmp_path, "account_dashboard")

        page.click("#rotate-network-id")
        page.wait_for_url("**/account?done=rotated")
        assert page.evaluate("document.activeElement.id") == "notice"  # the outcome is read out first
        new_network_id = page.inner_text("#network-id")
        assert new_network_id != own_citizen["network_id"]
        history = page.inner_text("#history")
        assert history.index("You viewed") < history.index("You changed your network ID")  # newest first

        with page.expect_download() as download_info:
            page.click("#export")
        exported = json.loads(open(download_info.value.path()).read())
        assert exported["held"]["name"] == NAME and exported["held"]["network_id"] == new_network_id
        assert exported["history"]["sth"]["tree_size"] >= 1

        page.click("#delete")  # the unticked confirmation box stops the form in the browser
        assert "/account" in page.url and page.locator("#deleted").count() == 0
        page.check("#confirm-delete")
        page.click("#delete")
        page.wait_for_selector("#deleted")
        shot(page, tmp_path, "account_deleted")
        page.goto("/account")
        assert "/signin?next=%2Faccount" in page.url
    finally:
        context.close()


PROOF_BASE = "11010519870212234"


def test_check_proof_in_the_browser_at_phone_width(browser, live_server, tmp_path):
    # a citizen of its own: the shared one's session is signed out by the passkey tests
    own = enrol_own(live_server, PROOF_BASE + check_character(PROOF_BASE), "Zhao Min", date(1987, 2, 12))
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "civicid_session", "value": own["session_token"], "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto("/account")
        for _ in range(20):  # the enrolment's events are sequenced within the merge delay
            if page.locator("#history .check-proof:visible").count():
                break
            time.sleep(0.25)
            page.reload()
        # nothing is wider than the phone: long codes wrap (the network ID used to overflow the card)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        card = page.locator("#account").bounding_box()
        code = page.locator("#network-id").bounding_box()
        assert code["x"] + code["width"] <= card["x"] + card["width"]

        head_before = page.request.get("/api/v1/transparency/sth").json()["tree_size"]
        entry = page.locator("#history li[data-leaf-index]").first
        entry.locator(".check-proof").click()
        result = entry.locator(".proof-result")
        result.locator("xpath=self::*[@data-outcome]").wait_for()
        text = result.inner_text()
        assert result.get_attribute("data-outcome") == "ok", text
        size = int(re.search(r"signed tree head of (\d+) entries", text).group(1))
        assert size >= head_before and size > int(entry.get_attribute("data-leaf-index"))
        assert "signed at" in text and "log key" in text
        shot(page, tmp_path, "account_proof_checked")
    finally:
        context.close()
