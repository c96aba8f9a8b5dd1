"""Recovery on a new device, in the browser: the /recover page's own script opens the camera
(Chromium's fake camera playing the recording), captures frames, gets the face re-verified, and
creates a passkey on the new device's authenticator.

The fake camera starts the recording when the page opens it, and the page captures for 1 s plus
2.2 s per action from when Start is pressed, so it sees the two turns (0.5–2.4 s) and, with three
actions, the blink (6.6 s) too. The live server pins the challenge to what the recording shows
(turn_right, turn_left); the recording is never edited.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import shot, start_recovery_camera, virtual_authenticator

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_recover_page_verifies_the_face_and_adds_a_passkey_on_a_new_device(browser, live_server, passkey_browser,
                                                                             tmp_path):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    cdp, authenticator_id = virtual_authenticator(context, page)
    try:
        start_recovery_camera(page)
        shot(page, tmp_path, "recover_camera")
        with page.expect_response("**/api/v1/recovery/*/frames", timeout=240_000) as decided:
            page.click("#start-capture")
        body = decided.value.json()
        assert body["decision"] == "recovered", body

        page.wait_for_selector("#passkey-step:not([hidden])")
        page.click("#create-passkey")
        page.wait_for_url(live_server.url + "/account")
        shot(page, tmp_path, "account_after_recovery")
        assert page.locator("ul#passkeys li").count() == 2  # the first device's and this one's
        credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
        assert len(credentials) == 1 and credentials[0]["isResidentCredential"]
        assert "face" in page.inner_text("#amr")
    finally:
        context.close()
