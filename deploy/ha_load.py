"""The HA test's load through haproxy: seeding, sign-ins with consent, enrolments, partner checks, a
witness, and the kills, every request recorded with its time and status."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import httpx

from ha_cluster import HOST, PORTS, ROOT, Cluster, database_url, http_status, kill_postmaster, log

sys.path.insert(0, str(ROOT))  # bench.oidc_bench, tests.support.softauthn

WITNESS_NAME = "witness.ha-test.example/w1"
CHALLENGE = "turn_right,turn_left,blink"  # what the clip shows, in order
ENROLEE_NAME = "Ha Person"
CLIP = "videos/genuine_webcam_blink_turn_clm.mp4"  # under CIVICID_DATA


def service_env(cluster: Cluster, witness_vkey: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICID_")}
    return {**env, "CIVICID_HOME": str(cluster.work / "home"), "CIVICID_DATABASE_URL": database_url(cluster),
            "CIVICID_PUBLIC_URL": f"http://{HOST}:{PORTS['http']}", "CIVICID_DATA": os.environ.get(
                "CIVICID_DATA", str(ROOT.parent / "shared" / "data")),
            # a recording cannot follow random prompts: pin what the clip shows (test environment only)
            "CIVICID_ENVIRONMENT": "test", "CIVICID_TEST_CHALLENGE": CHALLENGE, "CIVICID_DEMO": "true",
            "CIVICID_TRUSTED_PROXIES": HOST, "CIVICID_FACE_WORKERS": "1", "CIVICID_LOG_WITNESSES": witness_vkey,
            # every request of the load comes from 127.0.0.1: one client's budgets are a town's here
            "CIVICID_ENROLMENT_STARTS_PER_CLIENT_PER_HOUR": "100000",
            "CIVICID_ENROLMENT_FAILURES_PER_CLIENT_PER_HOUR": "100000",
            "CIVICID_PARTNER_REQUESTS_PER_MINUTE": "100000", "CIVICID_PARTNER_REQUESTS_PER_ID_PER_HOUR": "100000"}


@dataclass
class Seed:
    client_id: str
    client_secret: str
    redirect_uri: str
    members: list
    enrolees: list[str]
    partner_id: str
    partner_secret: str


def seed(env: dict[str, str], *, citizens: int, enrolees: int, photo: bytes) -> Seed:
    """Migrate, and create what the load needs (in-process, through pgbouncer): one relying
    party, citizens with a passkey each and no consent yet, registry people to enrol, a partner."""
    from bench.oidc_bench import Member
    from civicid.identity.passkeys import PasskeyService
    from civicid.identity.service import CitizenService
    from civicid.ids import generate_id_number, parse_id_number
    from civicid.oidc.clients import register_client
    from civicid.partners.service import PartnerService
    from civicid.registry.demo import DemoRegistry
    from civicid.registry.interfaces import RegistryRecord
    from civicid.registry.names import generate_name
    from civicid.runtime import build_runtime
    from civicid.settings import Settings
    from tests.support.softauthn import SoftAuthenticator

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = Settings()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    runtime = build_runtime(settings)
    rng = random.Random(20261130)
    today = runtime.clock.now().date()
    redirect_uri = f"{settings.public_url}/ha/callback"
    members, numbers, seen = [], [], set()

    def new_number(birth: date):
        while True:  # distinct ID numbers (the draws repeat within one birth date)
            number = parse_id_number(generate_id_number(rng, today=today, birth_date=birth), today=today)
            if number.value not in seen:
                seen.add(number.value)
                return number

    with runtime.transaction() as session:
        client_id, client_secret = register_client(session, runtime, name="HA test RP", redirect_uris=[redirect_uri])
        people = CitizenService(session, runtime.vault(session), runtime.clock)
        passkeys = PasskeyService.from_runtime(runtime, session)
        for _ in range(citizens):
            number = new_number(date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)))
            citizen = people.create(RegistryRecord(id_number=number.value, name=generate_name(rng),
                                                   birth_date=number.birth_date, sex="M", photo=b""),
                                    verification="face-liveness")
            authenticator = SoftAuthenticator(origin=settings.public_url)
            options = passkeys.registration_options(citizen.id, user_name=citizen.network_id)
            passkeys.verify_registration(options.ceremony_id, authenticator.create(options.public_key),
                                         citizen_id=citizen.id)
            members.append(Member(authenticator, citizen.id))
        registry = DemoRegistry(session, runtime.vault(session), runtime.clock)
        for _ in range(enrolees):
            number = new_number(date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)))
            registry.add(RegistryRecord(id_number=number.value, name=ENROLEE_NAME, birth_date=number.birth_date,
                                        sex="M", photo=photo))
            numbers.append(number.value)
        partner = PartnerService(runtime, session).register("HA test telco")
    runtime.close()
    return Seed(client_id, client_secret, redirect_uri, members, numbers, partner.client_id, partner.secret)




@dataclass
class Record:
    t: float  # seconds since the load began, when the request was sent
    done: float
    kind: str
    status: int  # 0: no answer (connection refused or reset, timeout)


class Load:
    def __init__(self, base_url: str, seed: Seed, frames: list[tuple[int, bytes]]) -> None:
        self.base_url, self.seed, self.frames = base_url, seed, frames
        self.t0 = time.monotonic()
        self.records: list[Record] = []
        self.events: dict[str, float] = {}
        self.consents: set[str] = set()  # citizen ids whose consent POST was answered with a code
        self.enrolled: list[dict] = []  # completed enrolments (200, accepted, network id)
        self.enrol_outcomes: dict[str, int] = {}
        self.partner_outcomes: dict[str, int] = {}
        self.signins = 0
        self.witness = {"rounds": 0, "cosigned": 0, "unreachable": 0, "refused": [], "sizes": []}
        self.stopping = asyncio.Event()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def client(self):
        import aiohttp

        from bench.oidc_bench import HttpClient

        load = self

        class Recorded(HttpClient):
            async def _send(self, method, path, **kwargs):
                kind = path.split("?")[0]
                if kind.endswith("/frames") or kind == "/api/v1/verifications":  # face work: seconds
                    kwargs["timeout"] = aiohttp.ClientTimeout(total=300)
                started = load.now()
                try:
                    reply = await super()._send(method, path, **kwargs)
                except Exception:
                    load.records.append(Record(started, load.now(), f"{method} {kind}", 0))
                    raise
                load.records.append(Record(started, load.now(), f"{method} {kind}", reply.status_code))
                return reply

        return Recorded(self.base_url)

    async def signins_worker(self, index: int, workers: int) -> None:
        from bench.oidc_bench import Flow

        setup = SimpleNamespace(server=SimpleNamespace(url=self.base_url), client_id=self.seed.client_id,
                                client_secret=self.seed.client_secret, redirect_uri=self.seed.redirect_uri,
                                members=self.seed.members, dpop=False)
        load = self
        mine = self.seed.members[index::workers]
        async with self.client() as rp:
            flow = Flow(setup, rp)
            flow.browser = self.client
            original_consent = flow._consent

            async def consent(browser, html):
                reply = await original_consent(browser, html)
                if reply.status_code in (302, 303) and "code=" in reply.headers.get("location", ""):
                    load.consents.add(flow.current.citizen_id)
                return reply

            flow._consent = consent
            i = 0
            while not self.stopping.is_set():
                member = mine[i % len(mine)]
                i += 1
                flow.current = member
                try:
                    await flow.complete(member)
                    self.signins += 1
                except Exception:
                    await asyncio.sleep(0.05)

    async def enrol_worker(self) -> None:
        import aiohttp

        for number in self.seed.enrolees:
            if self.stopping.is_set():
                return
            async with self.client() as browser:
                try:
                    started = await browser.post("/api/v1/enrolments", json={"id_number": number,
                                                                            "name": ENROLEE_NAME})
                    if started.status_code != 201 and started.status_code != 200:
                        self._count(self.enrol_outcomes, f"start {started.status_code}")
                        await asyncio.sleep(0.5)
                        continue
                    form = aiohttp.FormData()
                    form.add_field("timestamps_ms", ",".join(str(t - self.frames[0][0]) for t, _ in self.frames))
                    for i, (_, jpeg) in enumerate(self.frames):
                        form.add_field("frames", jpeg, filename=f"{i:03d}.jpg", content_type="image/jpeg")
                    decided = await browser.post(f"/api/v1/enrolments/{started.json()['session_id']}/frames",
                                                 data=form)
                except Exception as error:
                    self._count(self.enrol_outcomes, f"error {type(error).__name__}")
                    await asyncio.sleep(0.5)
                    continue
                if decided.status_code == 200:
                    answer = decided.json()
                    self._count(self.enrol_outcomes, answer.get("decision", "?"))
                    if answer.get("network_id"):
                        self.enrolled.append({"id_number": number, "network_id": answer["network_id"],
                                              "decision": answer.get("decision"), "at_s": round(self.now(), 2)})
                else:
                    self._count(self.enrol_outcomes, f"frames {decided.status_code}")

    async def partner_worker(self) -> None:
        import aiohttp

        auth = {"Authorization": "Basic " + base64.b64encode(
            f"{self.seed.partner_id}:{self.seed.partner_secret}".encode()).decode()}
        i = 0
        while not self.stopping.is_set():
            if not self.enrolled:
                await asyncio.sleep(0.5)
                continue
            person = self.enrolled[i % len(self.enrolled)]
            i += 1
            async with self.client() as partner:
                try:
                    challenge = await partner.post("/api/v1/verifications/challenge", headers=auth)
                    if challenge.status_code != 201:
                        self._count(self.partner_outcomes, f"challenge {challenge.status_code}")
                        await asyncio.sleep(0.5)
                        continue
                    form = aiohttp.FormData()
                    form.add_field("challenge_id", challenge.json()["challenge_id"])
                    form.add_field("id_number", person["id_number"])
                    form.add_field("name", ENROLEE_NAME)
                    form.add_field("timestamps_ms", ",".join(str(t - self.frames[0][0]) for t, _ in self.frames))
                    for k, (_, jpeg) in enumerate(self.frames):
                        form.add_field("frames", jpeg, filename=f"{k:03d}.jpg", content_type="image/jpeg")
                    checked = await partner.post("/api/v1/verifications", data=form, headers=auth)
                except Exception as error:
                    self._count(self.partner_outcomes, f"error {type(error).__name__}")
                    await asyncio.sleep(0.5)
                    continue
                self._count(self.partner_outcomes, checked.json().get("result", "?") if checked.status_code == 200
                            else f"verify {checked.status_code}")

    def witness_round(self, state: Path, key, vkey: str) -> None:
        from civicid.audit.checkpoint import Checkpoint
        from civicid.audit.note import parse_note
        from civicid.audit.witness import WitnessRefused
        from civicid.audit.witness_client import LogUnreachable, witness_log

        self.witness["rounds"] += 1
        try:
            with httpx.Client(timeout=10) as client:
                run = witness_log(client, self.base_url, log_vkey=vkey, name=WITNESS_NAME, key=key,
                                  state_path=state, clock_s=lambda: int(time.time()))
        except LogUnreachable:
            self.witness["unreachable"] += 1
            return
        except WitnessRefused as refused:  # a fork or a smaller tree: the log broke its promise
            self.witness["refused"].append(f"{self.now():.1f}s: {refused}")
            return
        except Exception as error:  # anything else is a finding too, reported, not a crash of the load
            self.witness.setdefault("errors", []).append(f"{self.now():.1f}s: {type(error).__name__}: {error}")
            return
        self.witness["cosigned"] += int(run.published)
        self.witness["sizes"].append(Checkpoint.from_text(parse_note(run.witnessed.note.dumps()).text).tree_size)

    async def witness_worker(self, state: Path, key, vkey: str) -> None:
        while not self.stopping.is_set():
            await asyncio.to_thread(self.witness_round, state, key, vkey)
            try:
                await asyncio.wait_for(self.stopping.wait(), 2.0)
            except asyncio.TimeoutError:
                pass

    @staticmethod
    def _count(counter: dict[str, int], key: str) -> None:
        counter[key] = counter.get(key, 0) + 1


async def chaos(load: Load, cluster: Cluster, *, kill_api_at: float, kill_primary_at: float, load_s: float) -> None:
    await asyncio.sleep(max(0.0, kill_api_at - load.now()))
    cluster.kill("civicid2")
    load.events["api_replica_killed"] = load.now()
    log(f"SIGKILL civicid replica 2 at {load.events['api_replica_killed']:.1f} s")
    await asyncio.sleep(max(0.0, kill_primary_at - load.now()))
    primary = 1 if http_status(f"http://{HOST}:{PORTS['rest1']}/primary") == 200 else 2
    standby = 3 - primary
    cluster.kill(f"patroni{primary}")
    killed = kill_postmaster(cluster.work / f"node{primary}" / "data")
    load.events["primary_killed"] = load.now()
    load.events["primary_node"] = primary
    log(f"SIGKILL node{primary}: Patroni and {len(killed)} PostgreSQL processes at {load.now():.1f} s")
    while http_status(f"http://{HOST}:{PORTS[f'rest{standby}']}/primary") != 200:
        await asyncio.sleep(0.1)
    load.events["standby_promoted"] = load.now()
    log(f"node{standby} promoted at {load.now():.1f} s")
    await asyncio.sleep(max(0.0, load_s - load.now()))
    load.stopping.set()


async def drive(load: Load, cluster: Cluster, *, load_s: float, kill_api_at: float, kill_primary_at: float,
                witness_state: Path, witness_key, log_vkey: str, signin_workers: int) -> None:
    tasks = [asyncio.create_task(load.signins_worker(i, signin_workers)) for i in range(signin_workers)]
    tasks += [asyncio.create_task(load.enrol_worker()), asyncio.create_task(load.partner_worker()),
              asyncio.create_task(load.witness_worker(witness_state, witness_key, log_vkey))]
    await chaos(load, cluster, kill_api_at=kill_api_at, kill_primary_at=kill_primary_at, load_s=load_s)
    # what is in flight finishes (an enrolment's decision takes seconds); nothing new starts
    await asyncio.wait(tasks, timeout=120)
