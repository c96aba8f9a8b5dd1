"""The whole citizen journey in a real browser: enrolment (HTTP API, real frames) → passkey on
/account → sign out → the demo forum → Sign in with CivicID → passkey → consent → what the forum got."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import shot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_passkey_was_created_as_a_discoverable_user_verified_credential(passkey_browser, live_server):
    credentials = passkey_browser.cdp.send("WebAuthn.getCredentials",
                                           {"authenticatorId": passkey_browser.authenticator_id})["credentials"]
    assert len(credentials) == 1
    assert credentials[0]["isResidentCredential"] is True and credentials[0]["rpId"] == "localhost"
    # signed out: the account page sends the browser to sign in
    page = passkey_browser.page
    page.goto("/account")
    assert "/signin?next=%2Faccount" in page.url


def test_demo_forum_signs_in_with_a_passkey_and_shows_what_it_received(passkey_browser, live_server, citizen,
                                                                         tmp_path):
    page = passkey_browser.page
    passkey_browser.sign_out(live_server.url)
    page.goto("/demo-rp/")
    shot(page, tmp_path, "forum_signed_out")
    page.click("#signin-with-civicid")

    # CivicID: nobody is signed in, so /oauth2/authorize sends the browser to /signin?next=...
    page.wait_for_url("**/signin?next=*")
    shot(page, tmp_path, "signin")
    page.click("#signin-button")

    page.wait_for_selector("#consent")
    assert "Community Forum (demo)" in page.inner_text("h1")
    shown = page.eval_on_selector_all("[data-claim]", "nodes => nodes.map(n => n.dataset.claim)")
    assert {"verified", "age_over_14", "age_over_18"} <= set(shown)
    shot(page, tmp_path, "consent")
    page.click("#consent-allow")

    page.wait_for_selector("#received")
    shot(page, tmp_path, "forum_signed_in")
    sub = page.inner_text("#sub").strip()
    assert sub and sub != citizen.network_id and citizen.network_id not in page.content()
    assert json.loads(page.inner_text("#verified")) is True
    assert json.loads(page.inner_text("#age_over_18")) is True and json.loads(page.inner_text("#age_over_14")) is True
    assert page.inner_text("#acr").strip() == "urn:civicid:acr:face-liveness"
    amr = json.loads(page.inner_text("#amr"))
    assert "hwk" in amr and "face" not in amr
    raw = json.loads(page.inner_text("#raw"))
    assert raw["id_token"]["sub"] == raw["userinfo"]["sub"] == sub
    assert "name" not in raw["userinfo"] and "birthdate" not in raw["userinfo"]  # not asked, not released

    # signed in again later: the consent is remembered and the same pairwise sub comes back
    page.click("#forum-logout")
    page.wait_for_selector("#signin-with-civicid")
    page.click("#signin-with-civicid")
    page.wait_for_selector("#received")
    assert page.inner_text("#sub").strip() == sub
