"""/account without JavaScript: held data, services with a revoke form, history in plain words
(newest first), rotate, download, delete with confirmation; forms need this session's token and
the boundary's same-origin check."""

from __future__ import annotations

import html as html_lib
import re

from civicid.audit.events import EventTag
from civicid.identity.models import Citizen
from tests.integration.oidc.conftest import ISSUER, exchange, get_code, make_citizen, sign_in

SAME_ORIGIN = {"Origin": ISSUER, "Sec-Fetch-Site": "same-origin"}


def field(page: str, form_action: str, name: str) -> str:
    form = page[page.index(f'action="{form_action}"'):]
    match = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert match, f"no {name} in the form {form_action}"
    return html_lib.unescape(match.group(1))


def post_form(http, page, action, **extra):
    data = {"csrf": field(page, action, "csrf"), **extra}
    return http.post(action, data=data, headers=SAME_ORIGIN, follow_redirects=False)


def test_the_page_shows_held_data_services_and_history(client, runtime, citizen, signed_in, rp):
    exchange(client, rp, get_code(client, rp)["code"])
    page = client.get("/account")
    assert page.status_code == 200
    text = page.text
    assert "Zhang Wei" in text and "2000-06-15" in text and "110*************2X" in text
    assert "11010519491231002X" not in text
    assert "Community Forum" in text and "Withdraw access" in text and rp.client_id in text
    # plain words, newest first: this view is on top of the forum's sign-in
    history = text[text.index('id="history"'):]
    assert history.index("You viewed the data") < history.index("Community Forum received")
    assert "<script>" not in text and "style=" not in text  # the CSP allows neither
    assert EventTag.CITIZEN_SELF_READ in _tags(runtime, citizen)


def _tags(runtime, citizen_id):
    with runtime.transaction() as session:
        _, items, pending = runtime.access_log(session).history(citizen_id)
    return [item.event.tag for item in items] + [event.tag for event in pending]


def test_revoke_form(client, runtime, citizen, signed_in, rp):
    exchange(client, rp, get_code(client, rp)["code"])
    page = client.get("/account").text
    revoked = post_form(client, page, "/account/services/revoke", client_id=rp.client_id)
    assert revoked.status_code == 303 and revoked.headers["location"] == "/account?done=revoked"
    after = client.get(revoked.headers["location"]).text
    assert "access was withdrawn" in after and "Withdraw access" not in after
    assert client.get("/api/v1/me/services").json()["services"] == []


def test_forms_refuse_a_missing_token_and_another_site(client, runtime, citizen, signed_in):
    page = client.get("/account").text
    before = client.get("/api/v1/me").json()["network_id"]
    no_token = client.post("/account/network-id", data={"csrf": "x"}, headers=SAME_ORIGIN, follow_redirects=False)
    assert no_token.status_code == 303 and no_token.headers["location"].startswith("/signin")
    cross = client.post("/account/network-id", data={"csrf": field(page, "/account/network-id", "csrf")},
                        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                        follow_redirects=False)
    assert cross.status_code == 403 and cross.json()["error"]["code"] == "request.cross_origin"
    assert client.get("/api/v1/me").json()["network_id"] == before


def test_rotate_and_download_forms(client, runtime, citizen, signed_in):
    page = client.get("/account").text
    old = client.get("/api/v1/me").json()["network_id"]
    rotated = post_form(client, page, "/account/network-id")
    assert rotated.status_code == 303 and rotated.headers["location"] == "/account?done=rotated"
    new = client.get("/api/v1/me").json()["network_id"]
    assert new != old and new in client.get("/account").text
    download = post_form(client, page, "/account/export")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert download.json()["held"]["network_id"] == new


def test_delete_form_asks_for_confirmation_and_a_fresh_sign_in(client, runtime, citizen, signed_in, clock):
    page = client.get("/account").text
    unconfirmed = post_form(client, page, "/account/delete")
    assert unconfirmed.headers["location"] == "/account?done=confirm"
    clock.advance(minutes=11)
    stale_page = client.get("/account").text
    assert 'id="reauth-hint"' in stale_page
    stale = post_form(client, stale_page, "/account/delete", confirm="delete")
    assert stale.headers["location"] == "/account?done=reauth"
    sign_in(client, runtime, citizen)  # signing in again makes it fresh
    fresh_page = client.get("/account").text
    deleted = post_form(client, fresh_page, "/account/delete", confirm="delete")
    assert deleted.status_code == 200 and "has been deleted" in deleted.text
    with runtime.transaction() as session:
        assert session.get(Citizen, citizen) is None
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_signed_out_goes_to_sign_in(client):
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=%2Faccount"
