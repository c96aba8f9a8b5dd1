"""Issue 13 in a real browser, on every page a citizen sees, in English and in Simplified Chinese
(the language switch's cookie): axe-core finds no serious or critical violation, nothing scrolls
sideways on a 390 px wide phone, each page is saved as a full-page screenshot at 1280 and 390 px
in e2e-artifacts/<lang>/, and a zh-CN page shows no English beyond names and codes — including
the text the pages' scripts write after a step.

One tour per language walks the pages once and records what each showed; the tests below read
the record, one test per page and check. /docs and /redoc are exempt: they are Swagger UI and
ReDoc, third-party pages (tests/e2e/test_api_docs_offline.py checks that they work offline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import require_data
from tests.e2e.axe import Violation, axe_script, axe_violations
from tests.e2e.conftest import Person, add_registry_person, id_number_for, start_camera, virtual_authenticator
from tests.e2e.enrol_http import CLIP, enrol_over_http
from tests.e2e.page_checks import (DESKTOP, LANGUAGES, PHONE, Overflow, english_words, horizontal_overflow,
                                   reload_until, save_screenshot, visible_texts, with_language)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

#: in the order the tour opens them
PAGES = ("home", "enrol", "enrol-camera", "enrol-refused", "recover", "signin", "signin-no-passkey", "not-found",
         "oidc-error", "logout", "forum", "demo-try", "consent", "forum-denied", "forum-signed-in", "account",
         "account-notice", "logout-confirm", "deleted")


#: per language: a citizen (enrolled over HTTP, deleted at the end of the tour) and a newcomer
#: (in the registry, never enrolled: the enrolment page's camera step)
PEOPLE = {
    "en": (Person(id_number_for(date(1979, 2, 14), 21), "Sun Li", date(1979, 2, 14), "M"),
           Person(id_number_for(date(1996, 8, 3), 22), "Zhou Min", date(1996, 8, 3), "F")),
    "zh-CN": (Person(id_number_for(date(1981, 5, 9), 31), "孙立", date(1981, 5, 9), "M"),
              Person(id_number_for(date(1998, 11, 27), 32), "周敏", date(1998, 11, 27), "F")),
}


@dataclass
class Seen:
    """What one page showed: axe's findings at 1280 and 390 px, the visible text at 1280 px and
    the overflow at 390 px."""
    violations: list[Violation] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    overflow: Overflow | None = None
    shots: list[Path] = field(default_factory=list)
    error: str | None = None  # the tour could not bring the page up
    absent: bool = False  # the page does not exist (yet)


class Tour:
    def __init__(self, browser, server, lang: str) -> None:
        self.browser, self.server, self.lang = browser, server, lang
        self.seen: dict[str, Seen] = {}

    def context(self, session_token: str | None = None):
        # bypass_csp: axe is injected as an inline script, which the pages' CSP refuses
        context = self.browser.new_context(base_url=self.server.url, viewport=DESKTOP, bypass_csp=True,
                                           locale=self.lang)
        context.set_default_timeout(15_000)
        with_language(context, self.server.url, self.lang)
        if session_token:
            context.add_cookies([{"name": "civicid_session", "value": session_token, "url": self.server.url}])
        return context

    def visit(self, name: str, page, arrive: Callable[[], object]) -> None:
        assert name in PAGES, name
        seen = self.seen[name] = Seen()
        try:
            page.set_viewport_size(DESKTOP)
            if arrive() is False:
                seen.absent = True
                return
            page.wait_for_load_state("load")
            if page.evaluate("() => document.contentType") != "text/html":
                raise AssertionError(f"{page.url} answered {page.evaluate('() => document.body.innerText')[:300]}; "
                                     f"the server's log ends:\n{self.server.log_text()[-2500:]}")
            seen.violations = axe_violations(page)
            seen.texts = visible_texts(page)
            seen.shots.append(save_screenshot(page, self.lang, name))
            page.set_viewport_size(PHONE)
            seen.overflow = horizontal_overflow(page)
            seen.violations += [v for v in axe_violations(page) if v not in seen.violations]  # the phone layout's own
            seen.shots.append(save_screenshot(page, self.lang, name))
        except Exception as exc:  # recorded for this page's tests; the tour goes on
            shown = page.evaluate("() => document.body && document.body.innerText") or ""
            seen.error = f"{type(exc).__name__}: {exc}\n  at {page.url}, showing: {shown[:600]!r}"
            if shown.startswith('{"error"'):
                seen.error += f"\n  the server's log ends:\n{self.server.log_text()[-2500:]}"
        finally:
            page.set_viewport_size(DESKTOP)

    def walk(self, citizen: Person, newcomer: Person, session_token: str) -> None:
        anonymous = self.context()
        page = anonymous.new_page()
        virtual_authenticator(anonymous, page)  # with no passkey on it
        try:
            self.visit("home", page, lambda: page.goto("/"))
            self.visit("enrol", page, lambda: page.goto("/enrol"))
            self.visit("enrol-camera", page, lambda: start_camera(page, "/enrol", id_number=newcomer.id_number,
                                                                  name=newcomer.name))

            def refused():  # the script's own words for the registry's "no" (an error the page writes)
                page.goto("/enrol")
                page.fill("#id-number", newcomer.id_number)
                page.fill("#name", citizen.name)
                with page.expect_response("**/api/v1/enrolments") as answer:
                    page.click("#claim-form button[type=submit]")
                assert not answer.value.ok, answer.value.text()
                page.locator("#enrol-status.error").wait_for()

            self.visit("enrol-refused", page, refused)
            self.visit("recover", page, lambda: page.goto("/recover"))
            self.visit("signin", page, lambda: page.goto("/signin?next=/account"))

            def no_passkey():  # this device's authenticator has no passkey for CivicID: the script says so
                page.goto("/signin?next=/account")
                page.click("#signin-button")
                page.wait_for_selector("#signin-status.error")

            self.visit("signin-no-passkey", page, no_passkey)
            self.visit("not-found", page, lambda: page.goto("/no-such-page"))
            self.visit("oidc-error", page, lambda: page.goto(
                "/oauth2/authorize?response_type=code&client_id=no-such-client&scope=openid"
                "&redirect_uri=https%3A%2F%2Fforum.example%2Fcallback&state=s"))
            self.visit("logout", page, lambda: page.goto("/oauth2/logout"))
            self.visit("forum", page, lambda: page.goto("/demo-rp/"))
            self.visit("demo-try", page, lambda: page.goto("/demo/try").status != 404)
        finally:
            anonymous.close()

        signed_in = self.context(session_token)
        page = signed_in.new_page()
        virtual_authenticator(signed_in, page)
        try:
            def consent():
                page.goto("/demo-rp/")
                page.click("#signin-with-civicid")
                page.wait_for_selector("#consent")

            self.visit("consent", page, consent)

            def forum_denied():  # the forum says why, in words
                page.click("#consent-deny")
                page.wait_for_selector("#error")

            self.visit("forum-denied", page, forum_denied)

            def forum_signed_in():
                consent()
                page.click("#consent-allow")
                page.wait_for_selector("#received")

            self.visit("forum-signed-in", page, forum_signed_in)
            def account():  # with a passkey (its name and remove forms) and an entry's proof checked
                page.goto("/account")
                page.click("#add-passkey")
                page.wait_for_selector("ul#passkeys li")
                entry = reload_until(page, "/account", "#history li[data-leaf-index] .check-proof:not([hidden])")
                entry.click()
                page.locator("#history .proof-result[data-outcome]").first.wait_for()

            self.visit("account", page, account)

            def account_notice():
                page.goto("/account")
                page.click("#rotate-network-id")
                page.wait_for_selector("#notice")

            self.visit("account-notice", page, account_notice)

            def logout_confirm():  # a sign-out asked for without this session's ID token: confirmed here
                page.goto("/oauth2/logout")
                page.wait_for_selector("#logout-confirm")

            self.visit("logout-confirm", page, logout_confirm)

            def deleted():
                page.goto("/account")
                page.check("#confirm-delete")
                page.click("#delete")
                page.wait_for_selector("#deleted")

            self.visit("deleted", page, deleted)
        finally:
            signed_in.close()


@pytest.fixture(scope="module")
def tour(browser, live_server) -> Callable[[str], dict[str, Seen]]:
    """The pages as seen in ``lang``: walked once per language, on first use."""
    axe_script()
    clip = require_data("videos", CLIP)
    walked: dict[str, dict[str, Seen] | Exception] = {}

    def seen_in(lang: str) -> dict[str, Seen]:
        if isinstance(walked.get(lang), Exception):
            raise AssertionError(f"the {lang} tour failed before it began: {walked[lang]}")
        if lang not in walked:
            walked[lang] = RuntimeError("see the first test of this language")
            citizen, newcomer = PEOPLE[lang]
            for person in (citizen, newcomer):
                add_registry_person(live_server, id_number=person.id_number, name=person.name, birth_date=person.born,
                                    sex=person.sex)
            try:
                answer = enrol_over_http(live_server.url, clip, id_number=citizen.id_number, name=citizen.name)
            except Exception as exc:
                raise AssertionError(f"{exc}; the server's log ends:\n{live_server.log_text()[-2500:]}") from exc
            assert answer["decision"] == "enrolled", answer
            walk = Tour(browser, live_server, lang)
            walk.walk(citizen, newcomer, answer["session_token"])
            walked[lang] = walk.seen
        return walked[lang]

    return seen_in


def _page(tour, lang: str, name: str) -> Seen:
    seen = tour(lang)[name]
    if seen.absent:
        pytest.skip(f"{name} does not exist on this server")
    assert seen.error is None, f"the tour could not open {name} ({lang}): {seen.error}"
    return seen


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_axe_finds_no_serious_or_critical_violation(tour, lang, name):
    violations = _page(tour, lang, name).violations
    assert not violations, f"{name} ({lang}): axe-core found\n" + "\n".join(map(str, violations))


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_nothing_scrolls_sideways_on_a_phone(tour, lang, name):
    overflow = _page(tour, lang, name).overflow
    assert not overflow.scrolls, f"{name} ({lang}) at {PHONE['width']}x{PHONE['height']}: {overflow}"


@pytest.mark.parametrize("name", PAGES)
def test_a_chinese_page_shows_no_english(tour, name):
    citizen, newcomer = PEOPLE["zh-CN"]
    found = english_words(_page(tour, "zh-CN", name).texts, names=(citizen.name, newcomer.name))
    assert not found, f"{name} (zh-CN) shows English:\n" + "\n".join(found)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_is_saved_at_1280_and_390_px(tour, lang):
    import struct

    widths = {}
    for name, seen in tour(lang).items():
        for shot in seen.shots:
            with open(shot, "rb") as png:  # IHDR: width and height right after the signature
                widths[shot.name] = struct.unpack(">I", png.read(24)[16:20])[0]
    expected = {f"{name}-{width}.png": width for name, seen in tour(lang).items()
                if not seen.absent and seen.error is None for width in (DESKTOP["width"], PHONE["width"])}
    assert widths.keys() == expected.keys()
    # a page that scrolls sideways is wider (test_nothing_scrolls_sideways_on_a_phone says where)
    assert all(widths[shot] >= width for shot, width in expected.items()), widths
