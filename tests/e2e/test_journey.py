"""Issue 13: the whole citizen journey in a real browser, in English and in Simplified Chinese.

A registry person enrols with the camera (Chromium's fake camera playing the recording; the
server pins the challenge it shows) → creates a passkey (CDP virtual authenticator) → signs in at
the demo forum → consents → the dashboard shows the release → "Check proof" verifies the entry in
the browser → withdraws the forum's access → the forum's token stops working and the forum's
session ends (back-channel logout) → downloads their data → changes their network ID → signs in
again and deletes their CivicID → the passkey no longer signs in, in the citizen's words.

In zh-CN every step's visible text (including what the scripts wrote) is checked for English;
what is found fails the test at the end, after the journey's own checks. Each step is saved as
e2e-artifacts/<lang>/journey-<step>-1280.png.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from datetime import date
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.e2e.conftest import Person, add_registry_person, id_number_for, start_camera, virtual_authenticator
from tests.e2e.page_checks import (LANGUAGES, at_path, english_words, reload_until, save_screenshot,
                                   visible_texts, with_language)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

FORUM = "Community Forum (demo)"


PEOPLE = {  # one registry person per language: each journey ends by deleting its citizen
    "en": Person(id_number_for(date(1992, 4, 12), 42), "Wang Fang", date(1992, 4, 12), "F"),
    "zh-CN": Person(id_number_for(date(1988, 9, 21), 51), "赵磊", date(1988, 9, 21), "M"),
}
#: what a citizen must never read: an API error code, JSON, a library's or HTTP's own words
NOT_CITIZEN_WORDS = re.compile(r"\b[a-z]+\.[a-z_]+\b|[{}]|HTTP \d|Error:|undefined|null")


class Steps:
    """Screenshots of each step; in zh-CN, the English each step showed."""

    def __init__(self, page, lang: str, person: Person) -> None:
        self.page, self.lang, self.person = page, lang, person
        self.english: list[str] = []

    def look(self, step: str) -> None:
        save_screenshot(self.page, self.lang, f"journey-{step}")
        if self.lang != "en":
            self.english += [f"{step}: {line}" for line in
                             english_words(visible_texts(self.page), names=(self.person.name,))]


def forum_access_token(page, server) -> str:
    """An access token of the demo forum's client for the signed-in citizen: the forum's own
    credentials (saved in CivicID's home when it registered) and a code flow with PKCE whose
    redirect to the forum is read here, so the forum's own session is left as it is."""
    redirect_uri = server.url + "/demo-rp/callback"
    client = json.loads((server.home / "demo_rp_client.json").read_text())[redirect_uri]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
             "scope": "openid age", "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
             "code_challenge": challenge, "code_challenge_method": "S256"}
    # the browser's cookies, not the browser: its redirect to the forum is not followed
    sent_back = page.request.get("/oauth2/authorize?" + urlencode(query), max_redirects=0)
    location = sent_back.headers.get("location", "")
    assert sent_back.status in (302, 303) and location.startswith(redirect_uri + "?"), (sent_back.status, location)
    answer = parse_qs(urlsplit(location).query)
    assert answer["state"] == [query["state"]], answer
    token = httpx.post(server.url + "/oauth2/token", auth=(client["client_id"], client["client_secret"]), data={
        "grant_type": "authorization_code", "code": answer["code"][0], "redirect_uri": redirect_uri,
        "code_verifier": verifier})
    assert token.status_code == 200, token.text
    return token.json()["access_token"]


def userinfo_status(server, access_token: str) -> int:
    return httpx.get(server.url + "/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code


def verify_export(exported: dict, network_id: str) -> None:
    """The download holds what is held and the history, each sequenced entry with an inclusion
    proof that leads to the signed tree head it came with."""
    from civicid.audit.merkle import leaf_hash
    from civicid.audit.proofs import verify_inclusion

    assert exported["held"]["network_id"] == network_id
    history = exported["history"]
    root = base64.b64decode(history["sth"]["sha256_root_hash"])
    size = history["sth"]["tree_size"]
    tags = [event["tag"] for event in history["events"]] + [event["tag"] for event in history["pending"]]
    assert {"system:citizen:enrolled", "rp:citizen:claims_released", "rp:citizen:consent_revoked"} <= set(tags), tags
    assert history["events"], history
    for event in history["events"]:
        assert event["tree_size"] == size, event
        path = [base64.b64decode(node) for node in event["inclusion_path"]]
        assert verify_inclusion(leaf_hash(base64.b64decode(event["leaf"])), event["leaf_index"], size, path, root), event


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_whole_journey(browser, live_server, lang):
    person = PEOPLE[lang]
    add_registry_person(live_server, id_number=person.id_number, name=person.name, birth_date=person.born,
                        sex=person.sex)
    context = browser.new_context(base_url=live_server.url, accept_downloads=True, locale=lang)
    context.set_default_timeout(20_000)
    with_language(context, live_server.url, lang)
    page = context.new_page()
    cdp, authenticator_id = virtual_authenticator(context, page)
    steps = Steps(page, lang, person)
    try:
        # 1. enrol with the camera, then a passkey
        start_camera(page, "/enrol", id_number=person.id_number, name=person.name)
        steps.look("enrol-camera")
        with page.expect_response("**/api/v1/enrolments/*/frames", timeout=120_000) as decided:
            page.click("#start-capture")
            page.locator("#progress").wait_for(state="visible")
            steps.look("enrol-recording")
        answer = decided.value.json()
        assert answer["decision"] == "enrolled", answer
        network_id = answer["network_id"]
        page.wait_for_selector("#passkey-step:not([hidden])")
        steps.look("enrol-verified")
        page.click("#create-passkey")
        page.wait_for_url(at_path("/account"))
        assert page.inner_text("#network-id") == network_id
        credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
        assert len(credentials) == 1 and credentials[0]["isResidentCredential"]
        steps.look("account-new")
        page.click("#signout")
        page.wait_for_url("**/signin")

        # 2. the demo forum: Sign in with CivicID → passkey → consent
        page.goto("/demo-rp/")
        steps.look("forum")
        page.click("#signin-with-civicid")
        page.wait_for_url("**/signin?next=*")
        steps.look("signin")
        page.click("#signin-button")
        page.wait_for_selector("#consent")
        steps.look("consent")
        page.click("#consent-allow")
        page.wait_for_selector("#received")
        steps.look("forum-signed-in")
        sub = page.inner_text("#sub").strip()
        assert sub and network_id not in page.content()

        # 3. the dashboard shows the service and the release; "Check proof" passes in the browser
        entry = reload_until(page, "/account", "#history li[data-tag='rp:citizen:claims_released'][data-leaf-index]")
        service = page.locator("#services li.service", has_text=FORUM)
        assert service.count() == 1 and sub in service.inner_text()
        entry.locator(".check-proof").click()
        result = entry.locator(".proof-result[data-outcome]")
        result.wait_for()
        assert result.get_attribute("data-outcome") == "ok", result.inner_text()
        steps.look("account-proof")

        # 4. withdraw the forum's access: its token stops working, its session ends
        token = forum_access_token(page, live_server)
        assert userinfo_status(live_server, token) == 200
        page.goto("/account")
        page.locator("#services li.service", has_text=FORUM).locator("button.revoke").click()
        page.wait_for_url("**/account?done=revoked")
        steps.look("account-revoked")
        assert page.locator("#services li.service", has_text=FORUM).count() == 0
        assert userinfo_status(live_server, token) == 401
        for _ in range(40):  # back-channel logout, posted by the server's worker after the commit
            page.goto("/demo-rp/")
            if page.locator("#signin-with-civicid").count():
                break
            page.wait_for_timeout(250)
        assert page.locator("#signin-with-civicid").count() == 1, "the forum still has the session"

        # 5. download: what is held and the history, with proofs that verify
        page.goto("/account")
        with page.expect_download() as download:
            page.click("#export")
        verify_export(json.loads(open(download.value.path()).read()), network_id)

        # 6. a new network ID
        page.click("#rotate-network-id")
        page.wait_for_url("**/account?done=rotated")
        rotated = page.inner_text("#network-id")
        assert rotated and rotated != network_id
        steps.look("account-rotated")

        # 7. delete, after signing in again with the passkey
        page.goto("/signin?next=/account")
        page.click("#signin-button")
        page.wait_for_url(at_path("/account"))
        assert page.locator("#reauth-hint").count() == 0
        page.check("#confirm-delete")
        page.click("#delete")
        page.wait_for_selector("#deleted")
        steps.look("deleted")

        # 8. the authenticator still signs, the server refuses, the citizen reads why
        page.goto("/signin?next=/account")
        with page.expect_response("**/api/v1/signin/verify") as verify:
            page.click("#signin-button")
        assert 400 <= verify.value.status < 500, verify.value.text()
        status = page.locator("#signin-status.error")
        status.wait_for()
        said = status.inner_text().strip()
        assert said and not NOT_CITIZEN_WORDS.search(said), said
        assert "/signin" in page.url and page.request.get("/api/v1/me").status == 401
        steps.look("signin-refused")
    finally:
        context.close()
    assert not steps.english, f"English on the zh-CN journey:\n" + "\n".join(steps.english)
