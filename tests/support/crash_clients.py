"""The clients of the kill -9 test (tests/integration/test_crash_safety.py) and its server.

Two clients drive a real ``civicid serve``: ``enroller`` enrols the people of the demo registry one
after the other with a recording that answers the pinned challenge, then registers a passkey for
each new citizen; ``signer`` signs citizens in with their passkeys and runs the OIDC code flow to
a token, then reads the signed tree head as a log monitor would. Every answer they receive goes
into the ``Ledger``: what the server told a client is done must survive any crash. A client
whose connection breaks (the server died) stops; a cut enrolment is retried in the next cycle.
"""

from __future__ import annotations

import html
import itertools
import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.live_server import LiveServer
from tests.support.softauthn import SoftAuthenticator

VERIFIER = "crash-safety-" + "v" * 40
PRUNE_INTERVAL_S = 0.5
ENROLMENT_TTL_S = 10
SERVER_ENV = {"CIVICID_MAINTENANCE_PRUNE_INTERVAL_S": str(PRUNE_INTERVAL_S),
              "CIVICID_ENROLMENT_TTL_S": str(ENROLMENT_TTL_S),
              # every person enrols at most a few times; the limits are not what is tested here
              "CIVICID_ENROLMENT_FAILURES_PER_ID_PER_DAY": "1000",
              "CIVICID_ENROLMENT_FAILURES_PER_CLIENT_PER_HOUR": "1000",
              "CIVICID_ENROLMENT_STARTS_PER_CLIENT_PER_HOUR": "1000"}


class CrashServer(LiveServer):
    def environment(self) -> dict[str, str]:
        return {**super().environment(), **SERVER_ENV}

    def kill(self) -> None:
        """SIGKILL, to the server and to any process it started (none with one worker)."""
        children = _children(self.process.pid)
        self.process.kill()
        self.process.wait()
        for pid in children:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        self.log.close()


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass
class Member:
    network_id: str
    authenticator: SoftAuthenticator


@dataclass
class Ledger:
    """Every answer a client received: these must survive any crash."""

    enrolled: dict[str, str] = field(default_factory=dict)  # id number → network id
    passkeys: dict[str, str] = field(default_factory=dict)  # credential id (base64url) → network id
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (network id, session token)
    tokens: Counter = field(default_factory=Counter)  # network id → token responses received
    members: list[Member] = field(default_factory=list)
    queue: list[tuple[str, str]] = field(default_factory=list)  # (id number, name) still to enrol
    refused: dict[str, str] = field(default_factory=dict)  # id number → error code of a refused retry
    phase: dict[str, str] = field(default_factory=dict)  # client → step in flight
    cut: Counter = field(default_factory=Counter)  # "client:step" → kills that caught it there
    moments: Counter = field(default_factory=Counter)  # how the kill's moment was chosen
    head: bytes = b""  # the latest signed tree head a client received
    decisions_s: list[float] = field(default_factory=list)  # how long the completed decisions took
    errors: list[BaseException] = field(default_factory=list)  # anything but the server's death
    frames_sent: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    nonces: Iterator[int] = field(default_factory=itertools.count)  # a nonce is single-use


class ServerGone(Exception):
    """The connection failed or broke: the server died under this request."""


def _send(client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    try:
        return client.request(method, url, **kwargs)
    except httpx.TransportError as error:
        raise ServerGone(str(error)) from None


def client_thread(target, ledger: Ledger, *args) -> threading.Thread:
    def run() -> None:
        try:
            target(*args)
        except BaseException as error:  # reported by the test, not lost in the thread
            ledger.errors.append(error)

    return threading.Thread(target=run, daemon=True)


def enroller(server: LiveServer, ledger: Ledger, frames: list, stop: threading.Event) -> None:
    """Enrol the next person, then register their passkey; a cut enrolment is retried next cycle."""
    files = [("frames", (f"{i:03d}.jpg", frame.jpeg, "image/jpeg")) for i, frame in enumerate(frames)]
    data = {"timestamps_ms": ",".join(str(frame.t_ms) for frame in frames)}
    with httpx.Client(base_url=server.url, timeout=120) as client:
        while not stop.is_set() and ledger.queue:
            id_number, name = ledger.queue[0]
            try:
                ledger.phase["enrol"] = "start"
                started = _send(client, "POST", "/api/v1/enrolments", json={"id_number": id_number, "name": name})
                if started.status_code != 201:
                    ledger.refused[id_number] = started.json()["error"]["code"]
                    ledger.queue.pop(0)
                    continue
                ledger.phase["enrol"] = "decision"
                ledger.frames_sent.set()
                sent = time.monotonic()
                decided = _send(client, "POST", f"/api/v1/enrolments/{started.json()['session_id']}/frames",
                                files=files, data=data)
                ledger.frames_sent.clear()
                ledger.decisions_s.append(time.monotonic() - sent)
                assert decided.status_code == 200 and decided.json()["decision"] == "enrolled", decided.text
                answer = decided.json()
                with ledger.lock:
                    ledger.enrolled[id_number] = answer["network_id"]
                    ledger.queue.pop(0)
                ledger.phase["enrol"] = "passkey"
                member = register_passkey(client, server, answer["network_id"], answer["session_token"])
                with ledger.lock:
                    ledger.passkeys[member.authenticator.credentials[-1].credential_id.hex()] = member.network_id
                    ledger.members.append(member)
            except ServerGone:
                return
            finally:
                ledger.phase["enrol"] = "idle"


def register_passkey(client: httpx.Client, server: LiveServer, network_id: str, session_token: str) -> Member:
    authenticator = SoftAuthenticator(origin=server.url)
    cookies = {"civicid_session": session_token}
    client.cookies.clear()
    client.cookies.update(cookies)
    try:
        options = _send(client, "POST", "/api/v1/passkeys/registration/options")
        assert options.status_code == 200, options.text
        verified = _send(client, "POST", "/api/v1/passkeys/registration/verify", json={
            "ceremony_id": options.json()["ceremony_id"],
            "credential": authenticator.create(options.json()["publicKey"])})
        assert verified.status_code == 201, verified.text
    finally:
        client.cookies.clear()
    return Member(network_id, authenticator)


def signer(server: LiveServer, ledger: Ledger, rp: tuple[str, str, str], stop: threading.Event) -> None:
    """Passkey sign-in, then authorize (consenting the first time) and token, member after member."""
    client_id, secret, redirect_uri = rp
    turn = 0
    with httpx.Client(base_url=server.url, timeout=60) as rp_client:
        while not stop.is_set():
            with ledger.lock:
                member = ledger.members[turn % len(ledger.members)]
            turn += 1
            ledger.phase["signin"] = "signin"
            try:
                with httpx.Client(base_url=server.url, timeout=60) as browser:
                    options = _send(browser, "POST", "/api/v1/signin/options").json()
                    signed = _send(browser, "POST", "/api/v1/signin/verify", json={
                        "ceremony_id": options["ceremony_id"],
                        "credential": member.authenticator.get(options["publicKey"])})
                    assert signed.status_code == 200, signed.text
                    token = signed.cookies["civicid_session"]
                    ledger.sessions.append((member.network_id, token))
                    ledger.phase["signin"] = "authorize"
                    code = authorize(browser, client_id, redirect_uri, nonce=f"n{next(ledger.nonces)}")
                ledger.phase["signin"] = "token"
                tokens = _send(rp_client, "POST", "/oauth2/token", auth=(client_id, secret), data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                    "code_verifier": VERIFIER})
                assert tokens.status_code == 200, tokens.text
                ledger.tokens[member.network_id] += 1
                ledger.phase["signin"] = "tree head"  # as a monitor of the log would
                ledger.head = _send(rp_client, "GET", "/api/v1/transparency/sth").content
            except ServerGone:
                return
            finally:
                ledger.phase["signin"] = "idle"


def authorize(browser: httpx.Client, client_id: str, redirect_uri: str, *, nonce: str) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "openid age",
              "state": "s", "nonce": nonce, "code_challenge": create_s256_code_challenge(VERIFIER),
              "code_challenge_method": "S256"}
    response = _send(browser, "GET", "/oauth2/authorize", params=params)
    if response.status_code == 200:  # the consent page, once per citizen
        fields = {name: _hidden(response.text, name) for name in ("authorize_query", "csrf")}
        response = _send(browser, "POST", "/oauth2/consent", data={**fields, "decision": "allow"})
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert "code" in query, response.headers["location"]
    return query["code"][0]


def _hidden(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def kill_moment(rng: random.Random, ledger: Ledger) -> str:
    """Wait until the moment to kill, drawn from ``rng``: anywhere in an enrolment's decision, near
    its end (where the citizen is written), during the new citizen's passkey registration, or at
    any moment (sign-ins are always under way)."""
    typical = sorted(ledger.decisions_s)[len(ledger.decisions_s) // 2] if ledger.decisions_s else 3.0
    draw = rng.random()
    if draw < 0.5 and ledger.queue and ledger.frames_sent.wait(timeout=120):
        late = draw < 0.25
        time.sleep(typical * (rng.uniform(0.7, 1.1) if late else rng.uniform(0, 0.7)))
        return "decision, late" if late else "decision"
    if draw < 0.75 and ledger.queue:
        deadline = time.monotonic() + 120
        while ledger.phase.get("enrol") != "passkey" and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        return "passkey registration"
    time.sleep(rng.uniform(0.05, 2.0))
    return "any moment"
