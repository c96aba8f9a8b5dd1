"""Breach drill, the logs (DESIGN.md principle 1): everything the service logs while citizens
enrol, register passkeys, sign in (passkey, then OpenID Connect with name and birth date
released), recover by face and are verified by a partner names nobody.

Every logger is captured at DEBUG (SQLAlchemy's statements, parameters and result rows
included) through the production pipeline: ``RedactingFilter`` and the JSON formatter of
``civicid serve``. The lines must not hold any citizen's ID number (also as digits only), name,
birth date, network ID, session token, OIDC code or token, or the client's address. CivicID's own
records are checked before redaction too: the filter is a second line of defence, not the first.
"""

from __future__ import annotations

import io
import json
import logging
import random

import pytest
from fastapi.testclient import TestClient

from civicid.identity.sessions import COOKIE_NAME
from civicid.observability.logs import JsonFormatter, RedactingFilter
from civicid.oidc.clients import register_client
from civicid.partners.service import PartnerService
from civicid.registry.interfaces import RegistryRecord
from tests.conftest import require_data
from tests.integration.oidc.conftest import RP, authorize_params, consent, exchange, redirect_params
from tests.integration.test_breach_drill import _needles, _people
from tests.support.clips import clip_frames, still
from tests.support.harness import CLM
from tests.support.softauthn import SoftAuthenticator

CITIZENS = 3
CLIENT_ADDRESS = "198.51.100.7"
PUBLIC_URL = "http://localhost:8000"


class _RawRecords(logging.Handler):
    """CivicID's records as its code made them, before any filter rewrote them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.texts.append(text)


@pytest.fixture
def json_logs():
    """Every logger at DEBUG into one JSON stream, as ``civicid serve`` writes it; restored after.
    Requested before the database fixtures, so that SQLAlchemy's connection logs its statements."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    raw = _RawRecords()
    root, civicid = logging.getLogger(), logging.getLogger("civicid")
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    saved = [(logger, logger.level) for logger in [root, *loggers]]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    civicid.addHandler(raw)
    yield stream, raw
    civicid.removeHandler(raw)
    root.removeHandler(handler)
    for logger, level in saved:
        logger.setLevel(level)


def test_the_logs_of_a_drill_name_nobody(json_logs, harness_factory):
    stream, raw = json_logs
    clip = require_data("videos", CLM)
    frames, photo = clip_frames(clip, 0.0, 2.8), still(clip, 3.0)
    h = harness_factory(challenge="turn_right,turn_left", public_url=PUBLIC_URL)
    http = TestClient(h.client.app, base_url=PUBLIC_URL, client=(CLIENT_ADDRESS, 50000))
    people = _people(random.Random(1949))[:CITIZENS]
    with h.runtime.transaction() as session:
        client_id, client_secret = register_client(session, h.runtime, name="Community Forum",
                                                   redirect_uris=["https://forum.example/callback"])
        partner = PartnerService(h.runtime, session).register("Example Mobile")
    rp = RP(client_id, client_secret, "https://forum.example/callback")
    secrets_seen: list[str] = [client_secret, partner.secret]

    for number, person in enumerate(people):
        h.add_person(id_number=person.id_number, name=person.name, photo=photo, birth_date=person.birth_date)
        started = http.post("/api/v1/enrolments", json={"id_number": person.id_number, "name": person.name})
        assert started.status_code == 201, started.text
        files = [("frames", (f"{i:03d}.jpg", frame.data, "image/jpeg")) for i, frame in enumerate(frames)]
        timestamps = ",".join(str(frame.t_ms) for frame in frames)
        enrolled = http.post(f"/api/v1/enrolments/{started.json()['session_id']}/frames", files=files,
                             data={"timestamps_ms": timestamps}).json()
        assert enrolled["decision"] == "enrolled", enrolled
        secrets_seen += [enrolled["network_id"], enrolled["session_token"]]

        # a passkey from the fresh face session, then a passkey sign-in
        http.cookies.set(COOKIE_NAME, enrolled["session_token"])
        authenticator = SoftAuthenticator(origin=PUBLIC_URL)
        options = http.post("/api/v1/passkeys/registration/options").json()
        assert http.post("/api/v1/passkeys/registration/verify", json={
            "ceremony_id": options["ceremony_id"],
            "credential": authenticator.create(options["publicKey"])}).status_code == 201
        assert http.post("/api/v1/signout").status_code == 204
        ceremony = http.post("/api/v1/signin/options").json()
        signed_in = http.post("/api/v1/signin/verify", json={
            "ceremony_id": ceremony["ceremony_id"], "credential": authenticator.get(ceremony["publicKey"])})
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.cookies.get(COOKIE_NAME)
        http.cookies.set(COOKIE_NAME, token)
        secrets_seen.append(token)

        # sign in to a relying party, releasing name and birth date
        page = http.get("/oauth2/authorize", params=authorize_params(rp, scope="openid age name birthdate",
                                                                nonce=f"n-{number}"),
                        follow_redirects=False)
        assert page.status_code == 200, page.headers.get("location")
        code = redirect_params(consent(http, page, claims=["name", "birthdate"]))["code"]
        tokens = exchange(http, rp, code).json()
        info = http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.json()["name"] == person.name
        secrets_seen += [code, tokens["access_token"], tokens["id_token"]]
        assert http.get("/account").status_code == 200
        assert http.get("/api/v1/me/history").status_code in (200, 404)
        http.cookies.clear()

    # a stranger's attempt, a recovery by face and a partner's verification
    stranger = http.post("/api/v1/enrolments", json={"id_number": people[0].id_number, "name": people[1].name})
    assert stranger.status_code == 404
    recovery = http.post("/api/v1/recovery", json={"id_number": people[1].id_number, "name": people[1].name})
    assert recovery.status_code == 201, recovery.text
    recovered = http.post(f"/api/v1/recovery/{recovery.json()['session_id']}/frames", files=files,
                          data={"timestamps_ms": timestamps})
    assert recovered.json()["decision"] == "recovered", recovered.text
    secrets_seen.append(recovered.cookies.get(COOKIE_NAME))
    challenge = http.post("/api/v1/verifications/challenge", auth=(partner.client_id, partner.secret)).json()
    verified = http.post("/api/v1/verifications", files=files, auth=(partner.client_id, partner.secret), data={
        "challenge_id": challenge["challenge_id"], "id_number": people[2].id_number, "name": people[2].name,
        "timestamps_ms": timestamps})
    assert verified.json()["result"] == "match", verified.text

    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert all(set(line) >= {"ts", "level", "logger", "message", "request_id"} for line in lines)
    assert any("INSERT INTO citizens" in line["message"] for line in lines)  # the statements are really read
    assert any(line["logger"] == "sqlalchemy.engine.Engine" and line["message"].startswith("Row ")
               for line in lines)  # ... and the result rows
    decided = [line for line in lines if line["message"].startswith("enrolment decided: enrolled")]
    assert len(decided) == CITIZENS and all(line["request_id"] for line in decided)

    logged, before_redaction = text.encode("utf-8"), "\n".join(raw.texts).encode("utf-8")
    for person in people:
        for needle in _needles(person):
            assert needle not in logged, f"{needle!r} appears in the logs"
            assert needle not in before_redaction, f"{needle!r} is logged by CivicID (the filter caught it)"
    for secret in [s for s in secrets_seen if s]:
        assert secret.encode() not in logged, f"a network ID or token appears in the logs: {secret[:6]}..."
        assert secret.encode() not in before_redaction, f"CivicID logs a network ID or token: {secret[:6]}..."
    assert CLIENT_ADDRESS.encode() not in logged + before_redaction
