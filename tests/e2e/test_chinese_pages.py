"""Issue 13 in the browser: a Chinese browser gets Chinese pages whose scripts speak Chinese too
(CivicID.t and the page's messages block), the switch works without JavaScript, and dates are
rewritten in the reader's language and time zone."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import ID_NUMBER, NAME

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
ASCII_WORDS = re.compile(r"[A-Za-z]{2,}")


def chinese_context(browser, live_server, **options):
    return browser.new_context(base_url=live_server.url, locale="zh-CN", **options)


def test_the_enrolment_scripts_speak_chinese(browser, live_server, citizen):
    context = chinese_context(browser, live_server)
    page = context.new_page()
    try:
        page.goto("/enrol")
        assert page.get_attribute("html", "lang") == "zh-CN" and page.inner_text("h1") == "申领 CivicID"
        page.fill("#id-number", ID_NUMBER)
        page.fill("#name", "Somebody Else")
        page.click("#claim-form button[type=submit]")
        status = page.locator("#enrol-status")
        status.filter(has_text="请核对后重试").wait_for()
        assert ASCII_WORDS.findall(status.inner_text()) == []
    finally:
        context.close()


def test_a_lockout_in_chinese_with_its_duration(browser, live_server):
    context = chinese_context(browser, live_server)
    page = context.new_page()
    error = {"code": "enrolment.locked", "message": "Too many failed attempts.", "detail": {"retry_after_s": 7200}}
    page.route("**/api/v1/enrolments", lambda route: route.fulfill(status=429, content_type="application/json",
                                                                      body=json.dumps({"error": error})))
    try:
        page.goto("/enrol")
        page.fill("#id-number", ID_NUMBER)
        page.fill("#name", NAME)
        page.click("#claim-form button[type=submit]")
        status = page.locator("#enrol-status")
        status.filter(has_text="请2 小时后再试").wait_for()
        assert ASCII_WORDS.findall(status.inner_text()) == []
    finally:
        context.close()


def test_the_switch_keeps_the_choice_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/signin")
        assert page.get_attribute("html", "lang") == "en"
        page.click("nav.language a[hreflang=zh-CN]")
        page.wait_for_url("**/signin")
        assert page.get_attribute("html", "lang") == "zh-CN" and page.inner_text("h1") == "使用 CivicID 登录"
        page.goto("/enrol")  # the cookie keeps it, whatever the browser's language
        assert page.get_attribute("html", "lang") == "zh-CN"
        page.click("nav.language a[hreflang=en]")
        assert page.get_attribute("html", "lang") == "en"
    finally:
        context.close()


def test_dates_in_the_readers_language_and_time_zone(browser, live_server):
    context = chinese_context(browser, live_server, timezone_id="Asia/Shanghai")
    page = context.new_page()
    try:
        page.goto("/signin")
        text = page.evaluate("""() => {
            const time = document.createElement("time");
            time.setAttribute("datetime", "2026-11-30T10:35:00Z");
            time.textContent = "2026年11月30日 10:35 UTC";
            document.querySelector("main").append(time);
            window.CivicIDTime.localise(document);
            return [time.textContent, time.title];
        }""")
        assert "18:35" in text[0] and "2026" in text[0] and "UTC" not in text[0]  # Beijing time, UTC+8
        assert text[1] == "2026年11月30日 10:35 UTC"  # the server's text kept as the title
    finally:
        context.close()
