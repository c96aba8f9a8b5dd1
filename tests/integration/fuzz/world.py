"""What the schema fuzzer needs to get past the front door of each route: a harness app on the
real store (demo on, pinned time and randomness) with an enrolled citizen signed in by face, a
registered relying party with a live access token, a partner, staff of each role and a person
in the demo registry who can start an enrolment.

Generated values almost never name a real session, ceremony, code or client, so the fuzzer would
only ever see "not found". ``aim`` puts real ones into a share of the cases (and credentials into
most of them), so the code behind those lookups gets fuzzed too.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterator

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from PIL import Image

from civicid.identity.sessions import COOKIE_NAME, SignInSessions
from civicid.officials.service import OfficialService
from civicid.oidc.clients import register_client
from civicid.partners.service import PartnerService
from tests.integration.oidc.conftest import hidden, redirect_params
from tests.support.harness import Harness, make_citizen

CITIZEN_ID_NUMBER, CITIZEN_NAME = "11010519491231002X", "Zhang Wei"
APPLICANT_ID_NUMBER, APPLICANT_NAME = "11010519900307005X", "Li Ming"
REDIRECT_URI = "https://forum.example/callback"
VERIFIER = "v" * 43
ACR = "urn:civicid:acr:face-liveness"
#: a limit the fuzzer never reaches, so that later cases are not all "rate limited"
UNLIMITED = 10**9
LIMITS = {name: UNLIMITED for name in (
    "enrolment_failures_per_id_per_day", "enrolment_failures_per_client_per_hour",
    "enrolment_starts_per_client_per_hour", "partner_requests_per_minute", "partner_requests_per_id_per_hour",
    "official_reads_per_hour")}


def tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (128, 100, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class World:
    h: Harness
    session_token: str = ""
    rp: tuple[str, str] = ("", "")
    partner: tuple[str, str] = ("", "")
    officer: str = ""
    auditor: str = ""
    access_token: str = ""
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    _nonces: Iterator[int] = field(default_factory=itertools.count)  # a nonce is single-use

    @property
    def client(self):
        return self.h.client

    # --- real values, fresh for each case that gets one ---------------------------------------

    def enrolment_session(self) -> str:
        response = self.client.post("/api/v1/enrolments", json={"id_number": APPLICANT_ID_NUMBER,
                                                               "name": APPLICANT_NAME})
        assert response.status_code == 201, response.text
        return response.json()["session_id"]

    def recovery_session(self) -> str:
        response = self.client.post("/api/v1/recovery", json={"id_number": CITIZEN_ID_NUMBER, "name": CITIZEN_NAME})
        assert response.status_code == 201, response.text
        return response.json()["session_id"]

    def ceremony_id(self) -> str:
        return self.client.post("/api/v1/signin/options").json()["ceremony_id"]

    def registration_ceremony_id(self) -> str:
        self.client.cookies.set(COOKIE_NAME, self.session_token)
        response = self.client.post("/api/v1/passkeys/registration/options")
        self.client.cookies.clear()
        assert response.status_code == 200, response.text
        return response.json()["ceremony_id"]

    def partner_challenge(self) -> str:
        response = self.client.post("/api/v1/verifications/challenge", auth=self.partner)
        assert response.status_code == 201, response.text
        return response.json()["challenge_id"]

    def code(self) -> str:
        """A fresh authorization code for the relying party (consent is remembered after the first)."""
        params = {"response_type": "code", "client_id": self.rp[0], "redirect_uri": REDIRECT_URI,
                  "scope": "openid age name offline_access", "state": "s", "nonce": f"n{next(self._nonces)}",
                  "code_challenge": create_s256_code_challenge(VERIFIER), "code_challenge_method": "S256",
                  "prompt": "consent"}
        self.client.cookies.set(COOKIE_NAME, self.session_token)
        page = self.client.get("/oauth2/authorize", params=params, follow_redirects=False)
        if page.status_code == 200:
            page = self.client.post("/oauth2/consent", follow_redirects=False, data={
                "authorize_query": hidden(page.text, "authorize_query"), "csrf": hidden(page.text, "csrf"),
                "decision": "allow", "claim": ["name"]})
        self.client.cookies.clear()
        params = redirect_params(page)
        assert "code" in params, params
        return params["code"]

    def tokens(self) -> dict[str, Any]:
        response = self.client.post("/oauth2/token", auth=self.rp, data={
            "grant_type": "authorization_code", "code": self.code(), "redirect_uri": REDIRECT_URI,
            "code_verifier": VERIFIER})
        assert response.status_code == 200, response.text
        return response.json()


def build_world(harness_factory: Callable[..., Harness]) -> World:
    h = harness_factory(challenge="turn_right,turn_left", demo=True, api_docs=True, **LIMITS)
    photo = tiny_jpeg()
    h.add_person(id_number=APPLICANT_ID_NUMBER, name=APPLICANT_NAME, photo=photo)
    h.add_person(id_number=CITIZEN_ID_NUMBER, name=CITIZEN_NAME, photo=photo, birth_date=date(1949, 12, 31))
    citizen_id = make_citizen(h, id_number=CITIZEN_ID_NUMBER, name=CITIZEN_NAME, birth_date=date(1949, 12, 31))
    world = World(h)
    with h.runtime.transaction() as session:
        # amr face: a fresh face session, so the passkey registration routes can be reached
        world.session_token = SignInSessions(session, h.clock).create(citizen_id, amr=("face", "user"), acr=ACR)
        world.rp = register_client(session, h.runtime, name="Community Forum", redirect_uris=[REDIRECT_URI])
        partner = PartnerService(h.runtime, session).register("Example Mobile")
        world.partner = (partner.client_id, partner.secret)
        staff = OfficialService(h.runtime, session)
        world.officer = staff.add_staff("Officer Chen", "registry_officer").token
        world.auditor = staff.add_staff("Auditor Wu", "auditor").token
    world.access_token = world.tokens()["access_token"]
    return world
