"""The rest of the citizen dashboard over HTTP, on both stores (issue 13): passkeys named and
removed (never the last one), sessions signed out one by one or everywhere, the history paged and
filtered with officials' reads marked, and each service's pairwise identifier unchanged by a
network-ID rotation. API routes and the no-JavaScript forms."""

from __future__ import annotations

import re

import pytest

from civicid.audit.events import EventTag
from civicid.identity.sessions import COOKIE_NAME, SignInSessions
from civicid.oidc.models import OidcLogoutNotice
from tests.integration.citizen.test_account_page import SAME_ORIGIN, field, post_form
from tests.integration.oidc.conftest import ACR, ISSUER, exchange, get_code, make_citizen, make_rp, sign_in
from tests.support.softauthn import SoftAuthenticator


@pytest.fixture
def authenticator():
    return SoftAuthenticator(origin=ISSUER)


def register(http, authenticator) -> str:
    options = http.post("/api/v1/passkeys/registration/options").json()
    registered = http.post("/api/v1/passkeys/registration/verify", json={
        "ceremony_id": options["ceremony_id"], "credential": authenticator.create(options["publicKey"])})
    assert registered.status_code == 201, registered.text
    return registered.json()["passkey"]["credential_id"]


def passkey_sign_in(http, authenticator):
    body = http.post("/api/v1/signin/options").json()
    return http.post("/api/v1/signin/verify", json={
        "ceremony_id": body["ceremony_id"], "credential": authenticator.get(body["publicKey"])})


def record(runtime, citizen_id, tag, actor, purpose=""):
    with runtime.transaction() as session:
        runtime.access_log(session).record(tag, actor=actor, citizen_id=citizen_id, purpose=purpose)


# --- passkeys -------------------------------------------------------------------------------------


def test_name_and_remove_passkeys_but_never_the_last(client, runtime, citizen):
    sign_in(client, runtime, citizen, amr=("face", "user"))  # a fresh face session may add passkeys
    laptop, phone = SoftAuthenticator(origin=ISSUER), SoftAuthenticator(origin=ISSUER)
    first, second = register(client, laptop), register(client, phone)

    named = client.patch(f"/api/v1/me/passkeys/{first}", json={"name": "  Work   laptop "})
    assert named.status_code == 200, named.text
    assert named.json()["name"] == "Work laptop"
    keys = {k["credential_id"]: k for k in client.get("/api/v1/me").json()["passkeys"]}
    assert keys[first]["name"] == "Work laptop" and keys[second]["name"] is None

    too_long = client.patch(f"/api/v1/me/passkeys/{first}", json={"name": "x" * 65})
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "passkey.name_invalid"
    bidi = client.patch(f"/api/v1/me/passkeys/{first}", json={"name": "laptop\u202egnp.exe"})
    assert bidi.status_code == 422 and bidi.json()["error"]["code"] == "passkey.name_invalid"
    assert client.patch(f"/api/v1/me/passkeys/{first}", json={"name": "👩‍💻 desk"}).status_code == 200
    unknown = client.patch("/api/v1/me/passkeys/AAAA", json={"name": "x"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "passkey.not_found"
    not_base64 = client.delete("/api/v1/me/passkeys/not%20base64!")
    assert not_base64.status_code == 404 and not_base64.json()["error"]["code"] == "passkey.not_found"

    assert client.delete(f"/api/v1/me/passkeys/{second}").status_code == 204
    last = client.delete(f"/api/v1/me/passkeys/{first}")
    assert last.status_code == 409, last.text
    error = last.json()["error"]
    assert error["code"] == "passkey.last_one" and "only passkey" in error["message"]
    assert [k["credential_id"] for k in client.get("/api/v1/me").json()["passkeys"]] == [first]

    client.cookies.clear()  # the removed passkey no longer signs in; the kept one does
    refused = passkey_sign_in(client, phone)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "passkey.unknown_credential"
    assert passkey_sign_in(client, laptop).status_code == 200


def test_another_citizens_passkey_looks_like_none(client, runtime, citizen, authenticator):
    sign_in(client, runtime, citizen, amr=("face", "user"))
    theirs = register(client, authenticator)
    register(client, SoftAuthenticator(origin=ISSUER))
    other = make_citizen(runtime, id_number="11010519800101001X", name="Wang Fang")
    sign_in(client, runtime, other)
    assert client.patch(f"/api/v1/me/passkeys/{theirs}", json={"name": "mine now"}).status_code == 404
    assert client.delete(f"/api/v1/me/passkeys/{theirs}").status_code == 404
    sign_in(client, runtime, citizen)
    assert [k["name"] for k in client.get("/api/v1/me").json()["passkeys"]] == [None, None]


def test_passkey_forms(client, runtime, citizen):
    sign_in(client, runtime, citizen, amr=("face", "user"))
    first = register(client, SoftAuthenticator(origin=ISSUER))
    page = client.get("/account").text
    assert "only passkey" in page and "/account/passkeys/remove" not in page
    assert 'maxlength="64"' in page and 'autocomplete="off"' in page
    named = post_form(client, page, "/account/passkeys/name", credential_id=first, name="Phone")
    assert named.headers["location"] == "/account?done=passkey_named"
    bad = post_form(client, page, "/account/passkeys/name", credential_id=first, name="x" * 200)
    assert bad.headers["location"] == "/account?done=passkey_name_invalid"
    last = client.post("/account/passkeys/remove", headers=SAME_ORIGIN, follow_redirects=False, data={
        "csrf": field(page, "/account/passkeys/name", "csrf"), "credential_id": first})  # no such button: crafted
    assert last.headers["location"] == "/account?done=passkey_last"
    assert "Create another passkey first" in client.get(last.headers["location"]).text

    second = register(client, SoftAuthenticator(origin=ISSUER))
    page = client.get("/account").text
    assert "Phone" in page and page.count('action="/account/passkeys/remove"') == 2
    removed = post_form(client, page, "/account/passkeys/remove", credential_id=second)
    assert removed.headers["location"] == "/account?done=passkey_removed"
    after = client.get(removed.headers["location"]).text
    assert 'id="notice" role="status" tabindex="-1" autofocus' in after
    assert [k["credential_id"] for k in client.get("/api/v1/me").json()["passkeys"]] == [first]
    forged = client.post("/account/passkeys/remove", data={"csrf": field(page, "/account/network-id", "csrf"),
                                                           "credential_id": first},
                         headers=SAME_ORIGIN, follow_redirects=False)  # another form's token
    assert forged.status_code == 303 and forged.headers["location"].startswith("/signin")


# --- sessions -------------------------------------------------------------------------------------


def other_session(runtime, citizen_id) -> str:
    with runtime.transaction() as session:
        return SignInSessions(session, runtime.clock).create(citizen_id, amr=("hwk", "user"), acr=ACR)


def test_sign_out_one_session_then_everywhere(client, runtime, citizen, signed_in, clock):
    clock.advance(minutes=1)
    phone = other_session(runtime, citizen)
    sessions = client.get("/api/v1/me").json()["sessions"]
    assert len(sessions) == 2 and all(len(s["id"]) == 22 for s in sessions)
    assert signed_in not in str(sessions)
    phone_id = next(s["id"] for s in sessions if not s["current"])

    assert client.delete(f"/api/v1/me/sessions/{phone_id}").status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone}"}).status_code == 401
    gone = client.delete(f"/api/v1/me/sessions/{phone_id}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "account.session_not_found"
    assert client.get("/api/v1/me").status_code == 200  # this browser is still signed in

    other_session(runtime, citizen)
    everywhere = client.delete("/api/v1/me/sessions")
    assert everywhere.status_code == 200 and everywhere.json() == {"ended": 2}
    assert "Max-Age=0" in everywhere.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {signed_in}"}).status_code == 401


def test_ending_this_browsers_session_clears_its_cookie(client, runtime, citizen, signed_in):
    mine = client.get("/api/v1/me").json()["sessions"][0]
    ended = client.delete(f"/api/v1/me/sessions/{mine['id']}")
    assert ended.status_code == 204 and ended.headers["set-cookie"].startswith(f'{COOKIE_NAME}=""')


def test_another_citizens_session_looks_like_none(client, runtime, citizen, signed_in):
    other = make_citizen(runtime, id_number="11010519800101001X", name="Wang Fang")
    theirs = other_session(runtime, other)
    client.cookies.set(COOKIE_NAME, theirs)
    their_id = client.get("/api/v1/me").json()["sessions"][0]["id"]
    client.cookies.set(COOKIE_NAME, signed_in)
    assert client.delete(f"/api/v1/me/sessions/{their_id}").status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {theirs}"}).status_code == 200


def test_services_hear_of_a_session_signed_out(client, runtime, citizen, signed_in):
    forum = make_rp(runtime, backchannel_logout_uri="https://forum.example/backchannel")
    exchange(client, forum, get_code(client, forum)["code"])
    phone = other_session(runtime, citizen)
    phone_id = next(s["id"] for s in client.get("/api/v1/me").json()["sessions"] if not s["current"])
    assert client.delete(f"/api/v1/me/sessions/{phone_id}").status_code == 204
    with runtime.transaction() as session:
        notices = session.query(OidcLogoutNotice).filter_by(client_id=forum.client_id).all()
    assert len(notices) == 1 and notices[0].sid and notices[0].sub
    assert phone not in str([(n.sid, n.sub) for n in notices])


def test_session_forms(client, runtime, citizen, signed_in, clock):
    clock.advance(minutes=1)
    phone = other_session(runtime, citizen)
    page = client.get("/account").text
    assert page.count('action="/account/sessions/end"') == 2
    ids = re.findall(r'name="session_id" value="([^"]+)"', page)
    mine = client.get("/api/v1/me").json()["sessions"]
    phone_id = next(s["id"] for s in mine if not s["current"])
    assert phone_id in ids
    page = client.get("/account").text
    ended = post_form(client, page, "/account/sessions/end", session_id=phone_id)
    assert ended.headers["location"] == "/account?done=session_ended"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone}"}).status_code == 401
    again = post_form(client, page, "/account/sessions/end", session_id=phone_id)
    assert again.headers["location"] == "/account?done=session_unknown"
    everywhere = post_form(client, client.get("/account").text, "/account/sessions/end-all")
    assert everywhere.status_code == 303 and everywhere.headers["location"].startswith("/signin")
    assert "Max-Age=0" in everywhere.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {signed_in}"}).status_code == 401


# --- history --------------------------------------------------------------------------------------


def make_history(runtime, citizen_id, clock, count=7):
    """``count`` rotations (the citizen's own), then an official's read and a failed recovery."""
    for _ in range(count):
        clock.advance(minutes=1)
        record(runtime, citizen_id, EventTag.CITIZEN_SELF_ROTATE_NETWORK_ID, "citizen")
    clock.advance(minutes=1)
    record(runtime, citizen_id, EventTag.OFFICIAL_CITIZEN_READ, "official:o-7", "case 42: court order")
    clock.advance(minutes=1)
    record(runtime, citizen_id, EventTag.SYSTEM_CITIZEN_RECOVERY_FAILED, "system")
    runtime.sequence_log()


def test_history_pages_newest_first_and_filters(client, runtime, citizen, signed_in, clock):
    make_history(runtime, citizen, clock)
    first = client.get("/api/v1/me/history", params={"limit": 4})
    assert first.status_code == 200, first.text
    body = first.json()
    indices = [e["leaf_index"] for e in body["events"]]
    assert len(indices) == 4 and indices == sorted(indices) and body["next_before"] == indices[0]
    assert body["events"][-1]["tag"] == "system:citizen:recovery_failed"  # the newest is last of the page
    seen = list(indices)
    before = body["next_before"]
    while before is not None:
        page = client.get("/api/v1/me/history", params={"limit": 4, "before": before}).json()
        assert page["pending"] == [] and all(e["leaf_index"] < before for e in page["events"])
        seen = [e["leaf_index"] for e in page["events"]] + seen
        before = page["next_before"]
    assert seen == sorted(set(seen)) and len(seen) == 9  # every entry once, none skipped

    officials = client.get("/api/v1/me/history", params={"kind": "officials"}).json()
    assert [e["tag"] for e in officials["events"]] == ["official:citizen:read"]
    security = client.get("/api/v1/me/history", params={"kind": "security"}).json()
    assert [e["tag"] for e in security["events"]] == ["system:citizen:recovery_failed"]


@pytest.mark.parametrize(("params", "code"), [
    ({"kind": "everything"}, "history.unknown_kind"), ({"limit": 0}, "request.invalid"),
    ({"limit": 201}, "request.invalid"), ({"before": -1}, "request.invalid"), ({"before": "x"}, "request.invalid"),
    ({"kind": "k" * 33}, "request.invalid")])
def test_history_refuses_bad_pages(client, citizen, signed_in, params, code):
    response = client.get("/api/v1/me/history", params=params)
    assert response.status_code == 422 and response.json()["error"]["code"] == code


def test_history_on_the_page(client, runtime, citizen, signed_in, clock, monkeypatch):
    import civicid.web.routes.pages as pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    make_history(runtime, citizen, clock)
    page = client.get("/account").text
    history = page[page.index('id="history"'):page.index("</ol>", page.index('id="history"'))]
    assert history.count("check-proof") == 4  # this page's four sequenced entries (and the pending view)
    assert '<li class="entry official"' in history and "Official access" in history
    assert "case 42: court order" in history
    assert "A face verification to recover your account failed" in history
    older = re.search(r'href="(/account\?before=\d+)#history-heading" id="history-older"', page)
    assert older, "no link to older entries"
    second = client.get(older.group(1)).text
    assert 'id="history-newest"' in second and "being added to the public log" not in second
    filtered = client.get("/account", params={"kind": "officials"}).text
    entries = filtered[filtered.index('id="history"'):filtered.index("</ol>", filtered.index('id="history"'))]
    assert entries.count("<li class=") == 1 and '<option value="officials" selected>' in filtered
    # a bad filter or page is the newest page of everything, not an error page
    assert client.get("/account", params={"kind": "nope", "before": "x" * 40}).status_code == 200


def test_pairwise_identifiers_are_shown_and_survive_rotation(client, runtime, citizen, signed_in, rp):
    exchange(client, rp, get_code(client, rp)["code"])
    before = client.get("/api/v1/me/services").json()["services"][0]["subject"]
    assert before and before in client.get("/account").text
    assert client.post("/api/v1/me/network-id").status_code == 200
    after = client.get("/api/v1/me/services").json()["services"][0]["subject"]
    assert after == before and after in client.get("/account").text
    token = exchange(client, rp, get_code(client, rp, nonce="n-2")["code"]).json()
    userinfo = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert userinfo.json()["sub"] == before  # what the page shows is what the service gets


def test_new_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    passkey = paths["/api/v1/me/passkeys/{credential_id}"]
    assert {"patch", "delete"} <= set(passkey) and "409" in passkey["delete"]["responses"]
    assert "422" in passkey["patch"]["responses"] and "404" in passkey["patch"]["responses"]
    assert "delete" in paths["/api/v1/me/sessions/{session_id}"] and "delete" in paths["/api/v1/me/sessions"]
    params = {p["name"] for p in paths["/api/v1/me/history"]["get"]["parameters"]}
    assert params >= {"before", "kind", "limit"}


def test_the_download_has_every_page_against_one_head(client, runtime, citizen, signed_in, clock, monkeypatch):
    import base64
    import hashlib

    import civicid.audit.history as history_module
    from civicid.audit.proofs import verify_inclusion

    make_history(runtime, citizen, clock)  # 9 entries (and the page views of this test)
    monkeypatch.setattr(history_module, "MAX_HISTORY", 4)  # pages of four
    body = client.get("/api/v1/me/export").json()["history"]
    events = body["events"]
    assert len(events) >= 9 and body["next_before"] is None
    assert [e["leaf_index"] for e in events] == sorted({e["leaf_index"] for e in events})
    root, size = base64.b64decode(body["sth"]["sha256_root_hash"]), body["sth"]["tree_size"]
    for event in events:
        digest = hashlib.sha256(b"\x00" + base64.b64decode(event["leaf"])).digest()
        assert event["tree_size"] == size
        path = [base64.b64decode(p) for p in event["inclusion_path"]]
        assert verify_inclusion(digest, event["leaf_index"], size, path, root)
