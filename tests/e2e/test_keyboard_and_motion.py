"""Issue 13, what axe cannot see: the skip link is the first stop of the keyboard and lands in
<main>; every control shows a focus ring; the enrolment form hints what to fill in; after each
step of the enrolment page, focus moves to what changed; asked for reduced motion, nothing moves."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.e2e.conftest import add_registry_person, id_number_for

BORN = date(1975, 12, 2)
ID_NUMBER = id_number_for(BORN, 72)  # in the registry, never enrolled: the decision is answered here
NAME = "Ma Li"

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    yield context.new_page()
    context.close()


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
        return { tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, text: el.innerText,
                 outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth), top: box.top };
    }""")


@pytest.mark.parametrize("path", ["/", "/enrol", "/signin", "/account"])
def test_the_skip_link_comes_first_and_lands_in_main(page, live_server, path):
    page.goto(path)
    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["cls"] == "skip" and first["top"] >= 0, first  # shown while focused
    assert first["outline"] != "none" and first["outlineWidth"] >= 2, first
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"
    page.keyboard.press("Tab")  # and the next stop is inside the page's content, not the header
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


def test_every_control_shows_a_focus_ring(page):
    page.goto("/enrol")
    rings = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["tag"] == "body":
            break
        rings.append(focused)
    assert len(rings) >= 5, rings  # skip link, brand, language, two fields, the button
    assert all(ring["outline"] != "none" and ring["outlineWidth"] >= 2 for ring in rings), rings


def test_the_enrolment_form_hints_what_to_fill_in(page):
    for path in ("/enrol", "/recover"):
        page.goto(path)
        assert page.get_attribute("#name", "autocomplete") == "name"
        # a national ID number is not kept by the browser's autofill
        assert page.get_attribute("#id-number", "autocomplete") == "off"
        assert page.get_attribute("#id-number", "inputmode") == "text"


def test_focus_follows_the_enrolment_steps(page, live_server):
    """A refused claim: focus on the message; an accepted one: on the camera step's heading; a
    decision: on the passkey step's heading (the decision answered here, not by a camera)."""
    add_registry_person(live_server, id_number=ID_NUMBER, name=NAME, birth_date=BORN, sex="F")
    page.goto("/enrol")
    page.fill("#id-number", ID_NUMBER)
    page.fill("#name", "Somebody Else")
    page.keyboard.press("Enter")
    page.locator("#enrol-status.error").wait_for()
    assert _focused(page)["id"] == "enrol-status"

    page.fill("#name", NAME)
    with page.expect_response("**/api/v1/enrolments"):
        page.keyboard.press("Enter")
    page.locator("#camera-step:not([hidden])").wait_for()
    assert _focused(page)["id"] == "camera-heading"

    page.route("**/api/v1/enrolments/*/frames", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"decision": "enrolled", "reasons": [], "network_id": None})))
    page.evaluate("() => document.getElementById('start-capture').focus()")
    page.keyboard.press("Enter")
    page.locator("#passkey-step:not([hidden])").wait_for(timeout=30_000)
    assert _focused(page)["id"] == "passkey-heading"


def test_reduced_motion_stops_every_transition_and_animation(browser, live_server):
    """The pages' one animation is the progress bar's; a probe with a transition and an animation
    of its own shows the rule holds for anything a page may add."""
    timings = {}
    for motion in ("no-preference", "reduce"):
        context = browser.new_context(base_url=live_server.url, reduced_motion=motion)
        page = context.new_page()
        page.goto("/enrol")
        timings[motion] = page.evaluate("""() => {
            const probe = document.createElement("div");
            probe.style.transition = "opacity 1s linear";
            probe.style.animation = "none 2s infinite";
            document.getElementById("main").append(probe);
            const style = getComputedStyle(probe);
            return [parseFloat(style.transitionDuration), parseFloat(style.animationDuration),
                    style.animationIterationCount];
        }""")
        context.close()
    assert timings["no-preference"] == [1, 2, "infinite"], timings
    assert timings["reduce"][0] < 0.01 and timings["reduce"][1] < 0.01 and timings["reduce"][2] == "1", timings
