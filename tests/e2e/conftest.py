"""End-to-end fixtures: one real server, one enrolled citizen and one browser per test session.

The browser is the system Chromium driven by Playwright, with a CDP virtual WebAuthn authenticator
(CTAP2, internal transport, resident keys, user verification) standing in for the platform's."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import require_data
from tests.e2e.enrol_http import CLIP, enrol_over_http, registry_photo
from tests.e2e.live_server import CHROMIUM, CHROMIUM_ARGS, LiveServer, free_port, require_tool

ID_NUMBER = "11010519900307005X"  # GB 11643, born 1990-03-07
NAME = "Li Ming"
BIRTH_DATE = date(1990, 3, 7)
RESULTS = Path(__file__).parents[2] / "bench" / "results"


def pytest_configure(config):
    # Known to pytest-xdist (``make test`` runs --dist loadgroup); declared here for runs without it.
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


@dataclass
class Citizen:
    network_id: str
    session_token: str
    challenge: list[str]


@pytest.fixture(scope="session")
def chromium() -> str:
    return require_tool(CHROMIUM, "Chromium (/usr/bin/chromium)")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, chromium):
    require_data("videos", CLIP)
    server = LiveServer(home=tmp_path_factory.mktemp("civicid-home"), port=free_port())
    # The registry person exists before the server starts (the keyring is created here, once).
    add_registry_person(server, id_number=ID_NUMBER, name=NAME, birth_date=BIRTH_DATE, sex="M")
    server.start()
    yield server
    server.stop()


def add_registry_person(server: LiveServer, *, id_number: str, name: str, birth_date: date, sex: str) -> None:
    """A person in the live server's demo registry (its database, its keys), with the recording's
    frontal frame as the registry photo; the server may be running."""
    from civicid.registry.demo import DemoRegistry
    from civicid.registry.interfaces import RegistryRecord
    from civicid.runtime import build_runtime

    runtime = build_runtime(server.settings())
    try:
        with runtime.transaction() as session:
            DemoRegistry(session, runtime.vault(session), runtime.clock).add(RegistryRecord(
                id_number=id_number, name=name, birth_date=birth_date, sex=sex,
                photo=registry_photo(require_data("videos", CLIP))))
    finally:
        runtime.engine.dispose()


@pytest.fixture(scope="session")
def citizen(live_server) -> Citizen:
    answer = enrol_over_http(live_server.url, require_data("videos", CLIP), id_number=ID_NUMBER, name=NAME)
    assert answer["decision"] == "enrolled", answer
    return Citizen(answer["network_id"], answer["session_token"], answer["challenge"])


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory) -> Path:
    """The recording as a .y4m file (in the test's temp dir) for Chromium's fake camera."""
    import subprocess

    ffmpeg = require_tool(shutil.which("ffmpeg"), "ffmpeg")
    target = tmp_path_factory.mktemp("camera") / "clm.y4m"
    subprocess.run([ffmpeg, "-loglevel", "error", "-i", str(require_data("videos", CLIP)), "-pix_fmt", "yuv420p",
                    str(target)], check=True)
    return target


@pytest.fixture(scope="session")
def browser(chromium, fake_camera):
    from playwright.sync_api import sync_playwright

    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={fake_camera}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS + camera)
        yield browser
        browser.close()


@dataclass
class PasskeyBrowser:
    context: object
    page: object
    cdp: object
    authenticator_id: str

    def sign_out(self, base_url: str) -> None:
        self.page.request.post(base_url + "/api/v1/signout")


@pytest.fixture(scope="session")
def passkey_browser(browser, live_server, citizen, tmp_path_factory) -> PasskeyBrowser:
    """The citizen's browser right after enrolment: the enrolment's session cookie carried over,
    a passkey created on /account with the virtual authenticator, then signed out."""
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies([{"name": "civicid_session", "value": citizen.session_token, "url": live_server.url}])
    page = context.new_page()
    cdp, authenticator_id = virtual_authenticator(context, page)

    page.goto("/account")
    page.click("#add-passkey")
    page.wait_for_selector("ul#passkeys li")
    shot(page, tmp_path_factory.mktemp("shots"), "account_with_passkey")
    signed_out = PasskeyBrowser(context, page, cdp, authenticator_id)
    page.click("#signout")
    page.wait_for_url("**/signin")
    yield signed_out
    context.close()


def virtual_authenticator(context, page) -> tuple[object, str]:
    """A platform authenticator for ``page`` (CDP WebAuthn domain): CTAP2, internal transport,
    resident keys, user verification that always succeeds."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator_id = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    return cdp, authenticator_id


def shot(page, folder: Path, name: str) -> Path:
    """A full-page screenshot in the test's folder, copied to bench/results/ for a look."""
    path = folder / f"e2e_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / path.name).write_bytes(path.read_bytes())
    return path


# The live server pins this challenge (CIVICID_TEST_CHALLENGE): the recording shows it, and a
# random one cannot be answered by a recording at all.
PINNED_CHALLENGE = ["turn_right", "turn_left"]


def start_recovery_camera(page) -> None:
    """Claim the number on /recover, check the server asked for what the recording shows, and wait
    until the fake camera plays."""
    start_camera(page, "/recover?next=/account", id_number=ID_NUMBER, name=NAME)


def start_camera(page, path: str, *, id_number: str, name: str) -> None:
    """Claim a number on the enrolment or recovery page at ``path`` (already open when ``path`` is
    None), check the server asked for what the recording shows, and wait until the fake camera plays."""
    if path:
        page.goto(path)
    page.fill("#id-number", id_number)
    page.fill("#name", name)
    api = "/api/v1/recovery" if page.get_attribute("#enrol", "data-mode") == "recover" else "/api/v1/enrolments"
    with page.expect_response("**" + api) as started:
        page.click("#claim-form button[type=submit]")
    assert started.value.json()["challenge"]["actions"] == PINNED_CHALLENGE, started.value.json()
    page.wait_for_selector("#camera-step:not([hidden])")
    # not wait_for_function: it runs its predicate through eval(), which the pages' CSP refuses
    page.locator("#preview").evaluate("""video => video.videoWidth > 0 || new Promise(resolve =>
        video.addEventListener("loadedmetadata", () => resolve(true), {once: true}))""")


@dataclass(frozen=True, slots=True)
class Person:
    """A registry person a browser test enrols (``add_registry_person``)."""

    id_number: str
    name: str
    born: date
    sex: str


def id_number_for(born: date, serial: int) -> str:
    """A GB 11643 number of region 110105 (odd ``serial``: male, even: female)."""
    from civicid.ids.checksum import check_character

    base = f"110105{born:%Y%m%d}{serial:03d}"
    return base + check_character(base)
