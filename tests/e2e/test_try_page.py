"""The try-it page of demo mode in a real browser (issue 13): the page's own script takes one still
from Chromium's fake camera (the recording, which starts frontal: the first turn is at 0.5 s),
adds the visitor to the demo registry, and shows the generated ID number; the visitor then
enrols at /enrol with it and the same camera, face matched against that still.
"""

from __future__ import annotations

from datetime import date

import pytest

from civicid.ids import parse_id_number
from tests.e2e.conftest import shot, start_camera

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NAME = "Zhou Xiaoyu"


def take_photo(page) -> None:
    page.click("#try-camera-on")
    page.wait_for_selector("#try-camera:not([hidden])")
    page.locator("#try-preview").evaluate("""video => video.videoWidth > 0 || new Promise(resolve =>
        video.addEventListener("loadedmetadata", () => resolve(true), {once: true}))""")
    page.click("#try-capture")
    page.wait_for_selector("#try-still:not([hidden])")


def test_a_visitor_adds_themself_from_the_camera_and_then_enrols(browser, live_server, tmp_path):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    try:
        page.goto("/")
        page.click("a[href='/demo/try']")
        page.wait_for_url("**/demo/try")
        page.fill("#try-name", NAME)
        page.fill("#try-birth-date", "1992-04-09")
        take_photo(page)
        shot(page, tmp_path, "try_photo_taken")
        with page.expect_response("**/api/v1/demo/registry") as created:
            page.click("#try-submit")
        assert created.value.status == 201, created.value.text()
        page.wait_for_selector("#try-result:not([hidden])")
        number = page.inner_text("#try-result-number")
        assert parse_id_number(number, today=date.today()).birth_date == date(1992, 4, 9)
        assert page.inner_text("#try-result-name") == NAME
        assert page.evaluate("document.activeElement.id") == "try-result-heading"
        assert number not in page.url and page.get_attribute("#try-enrol", "href") == "/enrol"
        shot(page, tmp_path, "try_result")

        page.click("#try-enrol")
        page.wait_for_url("**/enrol")
        start_camera(page, None, id_number=number, name=NAME)
        with page.expect_response("**/api/v1/enrolments/*/frames", timeout=240_000) as decided:
            page.click("#start-capture")
        assert decided.value.json()["decision"] == "enrolled", decided.value.json()
    finally:
        context.close()


def test_without_a_photo_the_page_says_so_and_sends_nothing(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/api/v1/demo/" in request.url else None)
    try:
        page.goto("/demo/try")
        page.fill("#try-name", NAME)
        page.click("#try-submit")
        status = page.locator("#try-status")
        assert "photo" in status.inner_text() and "error" in (status.get_attribute("class") or "")
        assert page.evaluate("document.activeElement.id") == "try-status"
        assert sent == []
    finally:
        context.close()


def test_a_chosen_file_without_a_face_is_refused_in_words(browser, live_server, faces_dir):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    try:
        page.goto("/demo/try")
        page.fill("#try-name", NAME)
        page.set_input_files("#try-file", str(faces_dir / "multi" / "group_017_0.jpg"))
        page.wait_for_selector("#try-still:not([hidden])")
        with page.expect_response("**/api/v1/demo/registry") as refused:
            page.click("#try-submit")
        assert refused.value.json()["error"]["code"] == "face.not_found"
        assert "could not see a face" in page.inner_text("#try-status")
        assert page.locator("#try-result").is_hidden()
    finally:
        context.close()
