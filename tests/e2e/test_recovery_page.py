"""Recovery on a new device, in the browser: the /recover page's own script opens the camera
(Chromium's fake camera playing the recording), captures frames, gets the face re-verified, and
creates a passkey on the new device's authenticator.

The fake camera starts the recording when the page opens it, and the page captures for 1 s plus
2.2 s per action from when Start is pressed, so it sees the two turns (0.5–2.4 s) and, with three
actions, the blink (6.6 s) too. As with enrolment over HTTP, the test asks for new challenges until
the server draws one the recording shows in that window — turn_right, turn_left (and blink) — and
never edits the recording.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ID_NUMBER, NAME, shot, virtual_authenticator

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
SHOWN_IN_WINDOW = (["turn_right", "turn_left"], ["turn_right", "turn_left", "blink"])


def test_recover_page_verifies_the_face_and_adds_a_passkey_on_a_new_device(browser, live_server, passkey_browser,
                                                                             tmp_path):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    cdp, authenticator_id = virtual_authenticator(context, page)
    try:
        for _ in range(40):
            page.goto("/recover?next=/account")
            page.fill("#id-number", ID_NUMBER)
            page.fill("#name", NAME)
            with page.expect_response("**/api/v1/recovery") as started:
                page.click("#claim-form button[type=submit]")
            actions = started.value.json()["challenge"]["actions"]
            if actions in SHOWN_IN_WINDOW:
                break
        else:
            pytest.fail("the server never drew a challenge the recording shows")
        page.wait_for_selector("#camera-step:not([hidden])")
        # not wait_for_function: it runs its predicate through eval(), which the pages' CSP refuses
        page.locator("#preview").evaluate("""video => video.videoWidth > 0 || new Promise(resolve =>
            video.addEventListener("loadedmetadata", () => resolve(true), {once: true}))""")
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
