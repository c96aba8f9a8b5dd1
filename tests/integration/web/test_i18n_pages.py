"""Issue 13: every page in Simplified Chinese when asked (cookie or Accept-Language), English by
default; the switch; error messages in the citizen's language with the code unchanged.

"No English left" is checked on the text a reader sees (tests/support/visible_text.py), with the
data a page shows as it is (a service's registered name) taken out."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from civicid import __version__
from civicid.web.i18n import COOKIE_NAME
from tests.integration.oidc.conftest import (authorize_params, citizen, client, clock, hidden, rp,  # noqa: F401
                                             runtime, signed_in)
from tests.support.visible_text import english_left, visible_texts

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
BROWSER = {"Accept": "text/html,application/xhtml+xml"}
SERVICE = ("Community Forum",)  # the relying party's registered name, shown as registered


def assert_chinese(response, *, data=(), status=200):
    assert response.status_code == status, response.text[:500]
    assert '<html lang="zh-CN">' in response.text
    left = english_left(response.text, data=data)
    assert left == [], "\n".join(left)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(visible_texts(response.text)))


@pytest.mark.parametrize("path", ["/", "/signin", "/enrol", "/recover", "/signin?next=/oauth2/authorize%3Fx%3D1"])
def test_citizen_pages_in_chinese_from_the_header(client, path):
    assert_chinese(client.get(path, headers=ZH))


@pytest.mark.parametrize("path", ["/", "/signin", "/enrol"])
def test_english_by_default_and_for_other_languages(client, path):
    for headers in ({}, {"Accept-Language": "fr-FR,de;q=0.8"}):
        page = client.get(path, headers=headers)
        assert page.status_code == 200 and '<html lang="en">' in page.text
        assert "civicid-messages" not in page.text  # English needs no translations in the page


def test_the_cookie_beats_the_header(client):
    client.cookies.set(COOKIE_NAME, "zh-CN")
    assert_chinese(client.get("/signin", headers={"Accept-Language": "en-US,en"}))
    client.cookies.set(COOKIE_NAME, "en")
    assert '<html lang="en">' in client.get("/signin", headers=ZH).text


def test_the_switch_is_on_every_page_and_works_without_javascript(client):
    page = client.get("/enrol?next=/account", headers=ZH)
    assert 'href="/lang?to=en&amp;next=/enrol%3Fnext%3D/account"' in page.text
    switched = client.get("/lang", params={"to": "en", "next": "/enrol?next=/account"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/enrol?next=/account"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=en;") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert '<html lang="en">' in client.get("/enrol", headers=ZH).text  # the choice beats the header


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "/%0d%0aSet-Cookie:x", "\x00/", ""])
def test_the_switch_never_redirects_off_site(client, target):
    switched = client.get("/lang", params={"to": "zh-CN", "next": target}, follow_redirects=False)
    if switched.status_code == 400:  # control characters: refused at the boundary, nowhere to go
        assert "location" not in switched.headers
        return
    assert switched.status_code == 303
    location = switched.headers["location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location


def test_an_unknown_language_sets_nothing(client):
    switched = client.get("/lang", params={"to": "fr", "next": "/signin"}, follow_redirects=False)
    assert switched.status_code == 303 and "set-cookie" not in switched.headers


# --- error pages and API errors ------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "status", "heading"), [
    ("GET", "/no-such-page", 404, "页面不存在"),
    ("POST", "/enrol", 405, "无法以这种方式使用此页面"),
])
def test_error_pages_in_chinese(client, method, path, status, heading):
    page = client.request(method, path, headers={**BROWSER, **ZH})
    assert_chinese(page, status=status)
    assert f"<h1>{heading}</h1>" in page.text


def test_the_sign_in_first_page_in_chinese(client):
    from civicid.web.routes.me import AuthRequired

    def signed_in_only():
        raise AuthRequired()

    client.app.add_api_route("/a-page-for-citizens", signed_in_only)
    page = client.get("/a-page-for-citizens", headers={**BROWSER, **ZH})
    assert_chinese(page, status=401)
    assert '<a href="/signin">登录</a>' in page.text


def test_api_errors_keep_their_code_and_speak_the_citizens_language(client):
    english = client.get("/api/v1/me/no-such")
    chinese = client.get("/api/v1/me/no-such", headers=ZH)
    assert english.status_code == chinese.status_code == 404
    assert english.json()["error"] == {"code": "request.not_found", "message": "Not found."}
    assert chinese.json()["error"] == {"code": "request.not_found", "message": "未找到。"}
    typed = client.get("/api/v1/me", headers=ZH).json()["error"]  # a CivicIDError subclass
    assert typed["code"] == "auth.required" and typed["message"] != client.get("/api/v1/me").json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in typed["message"])


def test_validation_errors_keep_their_fields_and_translate_the_message(client):
    response = client.post("/api/v1/enrolments", json={"id_number": 5}, headers=ZH)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "request.invalid" and error["message"] == "请求无效。" and error["detail"]


# --- the OpenID provider's pages --------------------------------------------------------------

def test_the_consent_page_in_chinese(client, rp, signed_in):
    page = client.get("/oauth2/authorize", params=authorize_params(rp, scope="openid age name birthdate"),
                      headers=ZH)
    assert_chinese(page, data=SERVICE)
    assert "您是否已满 18 周岁" in page.text and "（可选）" in page.text
    assert 'id="consent-allow"' in page.text and 'data-claim="birthdate"' in page.text


def test_the_sign_in_error_page_in_chinese_with_the_details_for_developers(client, rp, signed_in):
    page = client.get("/oauth2/authorize", params=authorize_params(rp, redirect_uri="https://forum.example/other"),
                      headers=ZH)
    assert_chinese(page, status=400)
    assert 'data-error="invalid_request"' in page.text and "无法继续登录" in page.text
    assert '<p lang="en"><code>invalid_request</code>' in page.text  # the library's words, marked English


def test_the_sign_out_pages_in_chinese(client, rp, signed_in):
    confirm = client.get("/oauth2/logout", params={"client_id": rp.client_id}, headers=ZH)
    assert_chinese(confirm, data=SERVICE)
    assert "Community Forum 请您在此浏览器上退出 CivicID。" in confirm.text
    done = client.post("/oauth2/logout", data={"csrf": hidden(confirm.text, "csrf")}, headers=ZH)
    assert_chinese(done)
    assert "您已退出登录" in done.text


# --- pages shown after a form, and the demo forum ---------------------------------------------

def _request(app, path: str, headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                    "headers": raw, "app": app, "root_path": "", "scheme": "http", "server": ("localhost", 8000)})


def test_the_deleted_page_in_chinese(client):
    app = client.app
    page = app.state.templates.TemplateResponse(_request(app, "/account/delete", ZH), "citizen/deleted.html",
                                                {"version": __version__})
    page.text = page.body.decode()
    assert_chinese(page)


def test_the_demo_forum_in_chinese(make_client):
    demo = make_client(demo=True)
    assert_chinese(demo.get("/demo-rp/", headers=ZH))


def test_the_demo_forum_says_why_a_sign_in_failed_in_chinese():
    from starlette.applications import Starlette
    from starlette.templating import Jinja2Templates

    from civicid.demo_rp.app import TEMPLATES
    from civicid.web import i18n

    forum, templates = Starlette(), Jinja2Templates(directory=TEMPLATES)
    i18n.install(forum, templates)
    received = {"id_token": {"sub": "abc", "acr": "urn:civicid:acr:face-liveness", "amr": ["hwk"]},
                "userinfo": {"verified": True, "age_over_14": True, "age_over_18": True, "name": "Zhang Wei",
                             "birthdate": "2000-06-15"}, "scope": "openid age name birthdate"}
    for context in ({"error": "access_denied"}, {"error": "server_error"}, {"received": received, "pretty": "{}"}):
        page = templates.TemplateResponse(_request(forum, "/demo-rp/", ZH), "forum.html", {"base": "/demo-rp", **context})
        page.text = page.body.decode()
        assert_chinese(page, data=("Zhang Wei",))
    assert "登录失败：" in templates.TemplateResponse(
        _request(forum, "/demo-rp/", ZH), "forum.html", {"base": "", "error": "access_denied"}).body.decode()


def test_the_try_page_in_chinese_when_demo_mode_has_one(make_client):
    demo = make_client(demo=True)
    page = demo.get("/demo/try", headers=ZH)
    if page.status_code == 404:
        pytest.skip("no try page in this build")
    assert_chinese(page)


# --- the account page ------------------------------------------------------------------------

def test_the_account_page_in_chinese(client, rp, signed_in):
    from tests.integration.oidc.conftest import exchange, get_code

    exchange(client, rp, get_code(client, rp, scope="openid age name")["code"])  # a release in the history
    page = client.get("/account", headers=ZH)
    assert_chinese(page, data=SERVICE + ("Zhang Wei",))
    history = page.text[page.text.index('id="history"'):]
    assert "Community Forum收到了：" in history and "登录时" in history


def test_pages_and_errors_vary_by_language_static_files_do_not(client):
    for response in (client.get("/signin"), client.get("/api/v1/me/no-such", headers=ZH)):
        vary = {part.strip().lower() for part in response.headers.get("vary", "").split(",")}
        assert {"accept-language", "cookie"} <= vary
    assert "accept-language" not in client.get("/static/civicid.css").headers.get("vary", "").lower()


def test_refusals_at_the_boundary_speak_the_citizens_language_too(client):
    refused = client.post("/api/v1/enrolments", json={}, headers={**ZH, "Origin": "https://evil.example",
                                                                   "Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "request.cross_origin",
                                       "message": "此请求来自其他网站；CivicID 只接受来自自身页面的请求。"}


def test_a_specific_english_message_gives_way_to_the_classs_own_in_chinese(client):
    from civicid.identity.passkey_errors import AuthenticationRejected

    def rejected():
        raise AuthenticationRejected("sign_count", "The signature counter did not increase.")

    client.app.add_api_route("/api/v1/test-rejected", rejected)
    english = client.get("/api/v1/test-rejected").json()["error"]
    chinese = client.get("/api/v1/test-rejected", headers=ZH).json()["error"]
    assert english["message"] == "The signature counter did not increase."  # as written, for English readers
    assert chinese == {**english, "message": "无法验证此次通行密钥登录。"}


def test_a_routes_own_http_detail_gives_way_to_the_statuss_message_in_chinese(client):
    from fastapi import HTTPException

    def missing():
        raise HTTPException(404, "No such thing here")

    client.app.add_api_route("/api/v1/test-missing", missing)
    assert client.get("/api/v1/test-missing").json()["error"]["message"] == "No such thing here"
    assert client.get("/api/v1/test-missing", headers=ZH).json()["error"] == {"code": "request.not_found",
                                                                             "message": "未找到。"}
