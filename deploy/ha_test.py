"""High availability on existing engines, on one machine (issue 15): `make ha-test`.

Starts, on loopback ports, from the templates in deploy/templates:

    etcd ─ Patroni node1 (PostgreSQL 15 primary)  ┐
         └ Patroni node2 (synchronous standby)    ┴ haproxy :PG (GET /primary) ← pgbouncer ← civicid ×2
                                                    haproxy :HTTP (GET /api/v1/ready) → civicid ×2

then drives the service through haproxy: complete OIDC sign-ins with passkeys (the first one of each
citizen gives consent), enrolments with the real face engine over HTTP (the genuine webcam clip, as
bench/enrol_bench.py sends it), partner verifications of the enrolled, and a witness that cosigns
the log's checkpoint every two seconds (C2SP tlog-witness; it refuses a tree that does not extend
the last one it cosigned). Mid-load it SIGKILLs one API replica, then the primary node (Patroni
and every PostgreSQL process of it: the node is gone, so its leader key expires and Patroni
promotes the standby). Afterwards it checks that no completed enrolment or consent was lost, that
no request failed outside the two failure windows, that `civicid audit verify` passes and that the
log has no gap or fork, restarts the old primary to see it rejoin as a standby, and writes
bench/results/ha_test.json. Everything it started is stopped, whatever happens.

Run as root (PostgreSQL, Patroni and pgbouncer run as the postgres user): `make ha-test`, or
    .venv/bin/python deploy/ha_test.py [--load-s 75] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from string import Template
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench.oidc_bench, tests.support.softauthn
TEMPLATES = ROOT / "deploy" / "templates"
RESULTS = ROOT / "bench" / "results"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
HOST = "127.0.0.1"
PORTS = {"etcd_client": 12379, "etcd_peer": 12380, "rest1": 18008, "rest2": 18009, "pg1": 15432, "pg2": 15433,
         "pg_haproxy": 15000, "pgbouncer": 16432, "api1": 18081, "api2": 18082, "http": 18080, "stats": 18404}
DB_NAME, DB_USER = "civicid", "civicid"
WITNESS_NAME = "witness.ha-test.example/w1"
QUIET = 20  # answers in a row without a failure: the outage a kill caused is over


def log(message: str) -> None:
    print(f"[ha-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes ---------------------------------------------------------------------------------

@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    logfile: Path

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Cluster:
    work: Path
    procs: dict[str, Proc] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def run(self) -> Path:
        return self.work / "run"

    def start(self, name: str, argv: list[str], *, env: dict[str, str] | None = None,
              as_postgres: bool = False) -> Proc:
        logfile = self.work / "logs" / f"{name}.log"
        if as_postgres:  # setpriv execs: the pid is the program's own
            argv = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv
        out = open(logfile, "ab")
        popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env or os.environ.copy(),
                                 start_new_session=True, cwd=self.work)
        out.close()
        proc = self.procs[name] = Proc(name, popen, logfile)
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc and proc.alive():
            os.kill(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait()

    def stop_all(self) -> None:
        """Patroni first (it stops its PostgreSQL), then the rest; SIGKILL what does not stop."""
        order = sorted(self.procs.values(), key=lambda p: (not p.name.startswith("civicid"),
                                                          not p.name.startswith("patroni"), p.name))
        for proc in order:
            if proc.alive():
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in order:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait()
        for node in ("node1", "node2"):  # a postmaster left behind by a killed Patroni
            kill_postmaster(self.work / node / "data")


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def kill_postmaster(data_dir: Path) -> list[int]:
    """SIGKILL the postmaster of ``data_dir`` and every process it started (the node dies)."""
    pid = postmaster_pid(data_dir)
    if pid is None or not Path(f"/proc/{pid}").exists():
        return []
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    if b"postgres" not in cmdline:
        return []
    children = [int(c) for c in subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                                               text=True).stdout.split()]
    for victim in [pid, *children]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return [pid, *children]


def wait_for(what: str, check, timeout_s: float, interval_s: float = 0.25):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception:  # not up yet
            pass
        time.sleep(interval_s)
    raise RuntimeError(f"{what}: not within {timeout_s:.0f} s")


def http_status(url: str) -> int:
    try:
        return httpx.get(url, timeout=1.0).status_code
    except httpx.HTTPError:
        return 0


# --- configuration -----------------------------------------------------------------------------

def render(name: str, target: Path, **values) -> Path:
    text = Template((TEMPLATES / name).read_text()).substitute(**{k: str(v) for k, v in values.items()})
    target.write_text(text)
    return target


def configure(cluster: Cluster) -> None:
    work, run = cluster.work, cluster.run
    pg = pwd.getpwnam("postgres")
    for sub in ("logs", "run", "etcd", "node1", "node2", "home"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("run", "node1", "node2", "logs"):
        os.chown(work / sub, pg.pw_uid, pg.pw_gid)
    os.chmod(work, 0o755)
    for sub in ("node1", "node2"):
        os.chmod(work / sub, 0o700)
    s = cluster.secrets = {k: secrets.token_urlsafe(18) for k in ("superuser", "replication", "rewind", "app")}
    render("etcd.conf.yml", run / "etcd.conf.yml", ETCD_NAME="etcd1", ETCD_DATA_DIR=work / "etcd", ETCD_HOST=HOST,
           ETCD_CLIENT_PORT=PORTS["etcd_client"], ETCD_PEER_PORT=PORTS["etcd_peer"],
           ETCD_INITIAL_CLUSTER=f"etcd1=http://{HOST}:{PORTS['etcd_peer']}")
    for n in (1, 2):
        render("patroni.yml", run / f"patroni-node{n}.yml", NODE_NAME=f"node{n}", NODE_HOST=HOST,
               REST_PORT=PORTS[f"rest{n}"], PG_PORT=PORTS[f"pg{n}"], ETCD_HOSTS=f"{HOST}:{PORTS['etcd_client']}",
               LOG_DIR=work / "logs", DATA_DIR=work / f"node{n}" / "data", PG_BIN_DIR=PG_BIN, RUN_DIR=run,
               SUPERUSER_PASSWORD=s["superuser"], REPLICATION_PASSWORD=s["replication"],
               REWIND_PASSWORD=s["rewind"], CLIENT_NETWORK=f"{HOST}/32")
    api = "\n".join(f"    server api{n} {HOST}:{PORTS[f'api{n}']} check" for n in (1, 2))
    pgs = "\n".join(f"    server pg{n} {HOST}:{PORTS[f'pg{n}']} check port {PORTS[f'rest{n}']}" for n in (1, 2))
    render("haproxy.cfg", run / "haproxy.cfg", RUN_DIR=run, HTTP_BIND=f"{HOST}:{PORTS['http']}",
           PG_BIND=f"{HOST}:{PORTS['pg_haproxy']}", STATS_BIND=f"{HOST}:{PORTS['stats']}", API_SERVERS=api,
           PG_SERVERS=pgs)
    render("pgbouncer.ini", run / "pgbouncer.ini", DB_NAME=DB_NAME, UPSTREAM_HOST=HOST,
           UPSTREAM_PORT=PORTS["pg_haproxy"], PGBOUNCER_HOST=HOST, PGBOUNCER_PORT=PORTS["pgbouncer"], RUN_DIR=run)
    (run / "userlist.txt").write_text(f'"{DB_USER}" "{s["app"]}"\n"postgres" "{s["superuser"]}"\n')
    for path in run.iterdir():
        os.chown(path, pg.pw_uid, pg.pw_gid)
        os.chmod(path, 0o600)


def database_url(cluster: Cluster) -> str:
    return (f"postgresql+psycopg://{DB_USER}:{cluster.secrets['app']}@{HOST}:{PORTS['pgbouncer']}/{DB_NAME}")


def patroni_role(n: int) -> dict:
    return httpx.get(f"http://{HOST}:{PORTS[f'rest{n}']}/patroni", timeout=1.0).json()


def cluster_members() -> list[dict]:
    for n in (1, 2):
        try:
            return httpx.get(f"http://{HOST}:{PORTS[f'rest{n}']}/cluster", timeout=1.0).json()["members"]
        except (httpx.HTTPError, KeyError, ValueError):
            continue
    return []


def start_database(cluster: Cluster) -> None:
    cluster.start("etcd", ["etcd", "--config-file", str(cluster.run / "etcd.conf.yml")])
    wait_for("etcd", lambda: http_status(f"http://{HOST}:{PORTS['etcd_client']}/health") == 200, 30)
    cluster.start("patroni1", ["patroni", str(cluster.run / "patroni-node1.yml")], as_postgres=True)
    wait_for("node1 primary", lambda: http_status(f"http://{HOST}:{PORTS['rest1']}/primary") == 200, 90)
    cluster.start("patroni2", ["patroni", str(cluster.run / "patroni-node2.yml")], as_postgres=True)
    wait_for("node2 synchronous standby", lambda: any(
        m["name"] == "node2" and m["role"] == "sync_standby" and m.get("state") in ("streaming", "running")
        for m in cluster_members()), 120)
    cluster.start("haproxy", ["haproxy", "-db", "-f", str(cluster.run / "haproxy.cfg")])
    wait_for("haproxy primary port", lambda: _psql_ok(cluster, PORTS["pg_haproxy"]), 30)
    import psycopg

    with psycopg.connect(host=HOST, port=PORTS["pg_haproxy"], user="postgres", dbname="postgres",
                         password=cluster.secrets["superuser"], autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{cluster.secrets['app']}'")
        conn.execute(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")
    cluster.start("pgbouncer", ["pgbouncer", str(cluster.run / "pgbouncer.ini")], as_postgres=True)
    wait_for("pgbouncer", lambda: _psql_ok(cluster, PORTS["pgbouncer"], user=DB_USER, dbname=DB_NAME), 30)


def _psql_ok(cluster: Cluster, port: int, *, user: str = "postgres", dbname: str = "postgres") -> bool:
    import psycopg

    password = cluster.secrets["app" if user == DB_USER else "superuser"]
    with psycopg.connect(host=HOST, port=port, user=user, dbname=dbname, password=password, connect_timeout=2) as c:
        return c.execute("SELECT 1").fetchone() == (1,)


# --- the service -------------------------------------------------------------------------------

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
    rng = __import__("random").Random(20261130)
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


def start_replica(cluster: Cluster, n: int, env: dict[str, str]) -> None:
    civicid = str(Path(sys.executable).parent / "civicid")
    cluster.start(f"civicid{n}", [civicid, "serve", "--host", HOST, "--port", str(PORTS[f"api{n}"])], env=env)
    wait_for(f"civicid replica {n}", lambda: http_status(f"http://{HOST}:{PORTS[f'api{n}']}/api/v1/ready") == 200,
             90)


# --- load --------------------------------------------------------------------------------------

CHALLENGE = "turn_right,turn_left,blink"
ENROLEE_NAME = "Ha Person"
CLIP = "videos/genuine_webcam_blink_turn_clm.mp4"


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

            async def consent(browser, html, *, member=None):
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


# --- analysis ----------------------------------------------------------------------------------

def failure_windows(records: list[Record], events: dict[str, float]) -> dict:
    """What each kill cost. Failed requests (5xx, or no answer) are grouped by the kill they follow:
    from the kill to the last failure before QUIET requests in a row succeed (counted in answers,
    not seconds: while no primary exists, requests wait rather than fail). A kill's window runs
    from the kill until the service answers again: the later of its last failure and the first
    successful answer to a request sent after the kill. Any other failure is outside every window."""
    ordered = sorted(records, key=lambda r: r.done)
    kills = sorted((v, k) for k, v in events.items() if k in ("api_replica_killed", "primary_killed"))
    windows, inside = {}, set()
    for start, name in kills:
        members, streak = [], 0
        for i, record in enumerate(ordered):
            if record.done < start:
                continue
            if record.status == 0 or record.status >= 500:
                if i not in inside:
                    members.append(i)
                streak = 0
            else:
                streak += 1
                if streak >= QUIET:
                    break
        inside.update(members)
        first, last = (ordered[members[0]].done, ordered[members[-1]].done) if members else (None, None)
        answered = min((r.done for r in ordered if r.t >= start and 0 < r.status < 500), default=None)
        end = max(x for x in (last, answered, start) if x is not None)
        slowest = max((r.done - r.t for r in ordered if r.t <= end and r.done >= start), default=0.0)
        windows[name] = {
            "kill_at_s": round(start, 2),
            "window_s": round(end - start, 2),
            "first_answer_to_a_request_sent_after_the_kill_s": None if answered is None else round(answered - start, 2),
            "failed_requests": len(members),
            "first_failure_s": None if first is None else round(first, 2),
            "last_failure_s": None if last is None else round(last, 2),
            "slowest_request_across_it_s": round(slowest, 2),
            "failures": _tally(f"{ordered[i].status} {_route(ordered[i].kind)}" for i in members),
        }
    outside = [r for i, r in enumerate(ordered) if (r.status == 0 or r.status >= 500) and i not in inside]
    return {"windows": windows, "failures_outside_windows": len(outside),
            "outside": [{"t_s": round(r.done, 2), "kind": r.kind, "status": r.status} for r in outside[:20]]}


def _per_second(records: list[Record]) -> list[list[int]]:
    """[second, answered, failed] for every second of the load."""
    seconds = int(max((r.done for r in records), default=0)) + 1
    rows = [[t, 0, 0] for t in range(seconds)]
    for r in records:
        rows[int(r.done)][2 if r.status == 0 or r.status >= 500 else 1] += 1
    return rows


def _route(kind: str) -> str:
    """A request's route without its ids: ``POST /api/v1/enrolments/<id>/frames``."""
    return "/".join("<id>" if len(part) >= 32 else part for part in kind.split("/"))


def _tally(items) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def checks(cluster: Cluster, load: Load, env: dict[str, str], seed_: Seed) -> dict:
    import psycopg

    conninfo = dict(host=HOST, port=PORTS["pgbouncer"], user=DB_USER, dbname=DB_NAME,
                    password=cluster.secrets["app"])
    with psycopg.connect(**conninfo) as conn:
        networks = [e["network_id"] for e in load.enrolled]
        found = {row[0] for row in conn.execute("SELECT network_id FROM citizens WHERE network_id = ANY(%s)",
                                                (networks,))}
        consents = {row[0] for row in conn.execute("SELECT citizen_id FROM oidc_consents WHERE client_id = %s",
                                                   (seed_.client_id,))}
        size, last = conn.execute("SELECT count(*), max(idx) FROM audit_entries").fetchone()
        pending = conn.execute("SELECT count(*) FROM audit_pending").fetchone()[0]
    verify = subprocess.run([str(Path(sys.executable).parent / "civicid"), "audit", "verify", "--json"], env=env,
                            capture_output=True, text=True, timeout=600)
    try:
        verified = json.loads(verify.stdout)
    except ValueError:
        verified = {"output": (verify.stdout + verify.stderr)[-2000:]}
    lost_enrolments = sorted(set(networks) - found)
    lost_consents = sorted(load.consents - consents)
    sizes = load.witness["sizes"]
    return {
        "completed_enrolments": len(networks), "enrolments_lost": len(lost_enrolments),
        "completed_consents": len(load.consents), "consents_lost": len(lost_consents),
        "audit_verify_exit": verify.returncode, "audit_verify": {k: verified.get(k) for k in
                                                               ("ok", "tree_size", "first_bad_index", "problems",
                                                                "pending") if k in verified} or verified,
        "log": {"entries": size, "max_index": last, "gap_free": last is None or last + 1 == size,
                "pending_after_drain": pending,
                "witness_rounds": load.witness["rounds"], "witness_cosigned": load.witness["cosigned"],
                "witness_unreachable": load.witness["unreachable"], "witness_refused": load.witness["refused"],
                "witness_errors": load.witness.get("errors", []),
                "witnessed_sizes_monotonic": all(a <= b for a, b in zip(sizes, sizes[1:])),
                "witnessed_size_first_last": [sizes[0], sizes[-1]] if sizes else None},
    }


def drain_outbox(base_url: str, timeout_s: float = 60) -> bool:
    def empty() -> bool:
        body = httpx.get(f"{base_url}/api/v1/ready", timeout=5).json()
        return body.get("checks", {}).get("log_outbox", {}).get("pending") == 0
    try:
        return bool(wait_for("log outbox drained", empty, timeout_s, 0.5))
    except RuntimeError:
        return False


def plot(load: Load, windows: dict, path: Path) -> None:
    """Answers per second through haproxy (successes and failures) with the two kills marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seconds = int(max((r.done for r in load.records), default=0)) + 1
    ok, failed = [0] * seconds, [0] * seconds
    for r in load.records:
        (failed if r.status == 0 or r.status >= 500 else ok)[int(r.done)] += 1
    fig, ax = plt.subplots(figsize=(10, 3.8))
    ax.bar(range(seconds), ok, width=1.0, color="tab:green", label="answered (2xx/3xx/4xx)")
    ax.bar(range(seconds), failed, width=1.0, bottom=ok, color="tab:red", label="5xx or no answer")
    for name, colour in (("api_replica_killed", "tab:orange"), ("primary_killed", "tab:purple")):
        if name in load.events:
            ax.axvline(load.events[name], color=colour, linestyle="--", label=name.replace("_", " "))
    if "standby_promoted" in load.events:
        ax.axvline(load.events["standby_promoted"], color="tab:blue", linestyle=":", label="standby promoted")
    ax.set_xlabel("seconds into the load")
    ax.set_ylabel("requests answered / s")
    w = windows["windows"]
    ax.set_title(f"ha-test: primary killed → answers again after {w.get('primary_killed', {}).get('window_s')} s "
                 f"({w.get('primary_killed', {}).get('failed_requests')} failed); replica killed → "
                 f"{w.get('api_replica_killed', {}).get('window_s')} s ({w.get('api_replica_killed', {}).get('failed_requests')} failed)",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load-s", type=float, default=120.0, help="how long the load runs")
    parser.add_argument("--kill-api-at", type=float, default=20.0, help="seconds into the load")
    parser.add_argument("--kill-primary-at", type=float, default=45.0, help="seconds into the load")
    parser.add_argument("--citizens", type=int, default=300, help="citizens with a passkey (each consents once)")
    parser.add_argument("--enrolees", type=int, default=30, help="registry people to enrol (at most)")
    parser.add_argument("--signin-workers", type=int, default=3)
    parser.add_argument("--frames", type=int, default=150, help="frames per enrolment and partner check")
    parser.add_argument("--out", type=Path, default=RESULTS / "ha_test.json")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, data) afterwards")
    args = parser.parse_args(argv)

    if os.geteuid() != 0:
        raise SystemExit("run as root: PostgreSQL, Patroni and pgbouncer are started as the postgres user")
    missing = [tool for tool in ("etcd", "patroni", "haproxy", "pgbouncer", "setpriv") if not shutil.which(tool)]
    if missing or not (PG_BIN / "postgres").exists():
        raise SystemExit(f"missing {', '.join(missing) or PG_BIN}: run `make ha-deps` first")
    busy = [name for name, port in PORTS.items() if _port_busy(port)]
    if busy:
        raise SystemExit(f"ports in use: {', '.join(f'{n}={PORTS[n]}' for n in busy)}")

    from bench.enrol_bench import _jpeg_640x480, page_frames
    from civicid.audit.witness import cosigner_vkey
    from civicid.face.video import sample_frames
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = Path(os.environ.get("CIVICID_DATA", ROOT.parent / "shared" / "data")).resolve()
    clip = data / CLIP
    if not clip.is_file():
        raise SystemExit(f"{clip} not found: put the shared data beside the checkout or set CIVICID_DATA")
    started = time.monotonic()
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="civicid-ha-")))
    report: dict = {"test": "civicid ha-test", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "work_dir": str(cluster.work)}
    interrupted = []
    previous = signal.signal(signal.SIGTERM, lambda *_: interrupted.append(1) or (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        log(f"work directory {cluster.work}")
        configure(cluster)
        start_database(cluster)
        report["database_up_s"] = round(time.monotonic() - started, 1)
        log(f"etcd, Patroni primary + synchronous standby, haproxy, pgbouncer up in {report['database_up_s']} s")
        witness_key = Ed25519PrivateKey.generate()
        env = service_env(cluster, cosigner_vkey(WITNESS_NAME, witness_key.public_key()))
        frames = page_frames(clip, args.frames)
        photo = _jpeg_640x480(sample_frames(clip, fps=5, start_s=3.0, end_s=3.3)[0].jpeg, quality=90)
        seeded = seed(env, citizens=args.citizens, enrolees=args.enrolees, photo=photo)
        log(f"seeded {args.citizens} citizens with passkeys, {args.enrolees} registry people, a partner")
        for n in (1, 2):
            start_replica(cluster, n, env)
        base_url = f"http://{HOST}:{PORTS['http']}"
        wait_for("haproxy: both replicas up", lambda: all(
            _haproxy_up(cluster, f"api{n}") for n in (1, 2)), 30)
        log_vkey = httpx.get(f"{base_url}/log/vkey", timeout=5).text.strip()
        report["setup_s"] = round(time.monotonic() - started, 1)
        log(f"two civicid replicas behind haproxy; load for {args.load_s:.0f} s")

        load = Load(base_url, seeded, frames)
        asyncio.run(drive(load, cluster, load_s=args.load_s, kill_api_at=args.kill_api_at,
                          kill_primary_at=args.kill_primary_at, witness_state=cluster.work / "witness.json",
                          witness_key=witness_key, log_vkey=log_vkey, signin_workers=args.signin_workers))
        load_wall = load.now()
        log(f"load done after {load_wall:.1f} s: {load.signins} sign-ins, {len(load.enrolled)} enrolments")
        drained = drain_outbox(base_url)
        load.witness_round(cluster.work / "witness.json", witness_key, log_vkey)  # the final tree, witnessed
        result = checks(cluster, load, env, seeded)

        # the old primary comes back and rejoins as a standby (pg_rewind if it diverged)
        old = int(load.events.get("primary_node", 1))
        rejoin_started = time.monotonic()
        cluster.start(f"patroni{old}", ["patroni", str(cluster.run / f"patroni-node{old}.yml")], as_postgres=True)
        try:
            wait_for(f"node{old} rejoins", lambda: any(
                m["name"] == f"node{old}" and m["role"] in ("sync_standby", "replica") and m.get("state") in (
                    "streaming", "running") for m in cluster_members()), 120)
            rejoined = round(time.monotonic() - rejoin_started, 1)
        except RuntimeError:
            rejoined = None

        windows = failure_windows(load.records, load.events)
        plot(load, windows, args.out.with_suffix(".png"))
        statuses = _tally(str(r.status) for r in load.records)
        report.update({
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "postgresql": subprocess.run([str(PG_BIN / "postgres"), "--version"], capture_output=True,
                                                     text=True).stdout.strip(),
                        "patroni": _version(["patroni", "--version"]), "etcd": _version(["etcd", "--version"]),
                        "haproxy": _version(["haproxy", "-v"]), "pgbouncer": _version(["pgbouncer", "--version"])},
            "topology": {"api_replicas": 2, "postgres_nodes": 2, "replication": "synchronous (Patroni "
                         "synchronous_mode)", "pgbouncer_pool_mode": "session", "ports": PORTS},
            "load": {"seconds": round(load_wall, 1), "requests": len(load.records), "statuses": statuses,
                     "signins_completed": load.signins, "enrolment_outcomes": load.enrol_outcomes,
                     "partner_outcomes": load.partner_outcomes, "frames_per_upload": len(frames),
                     "signin_workers": args.signin_workers},
            "events_s": {k: round(v, 2) for k, v in load.events.items() if k != "primary_node"},
            "primary_killed": f"node{old}",
            "patroni_promotion_s": round(load.events["standby_promoted"] - load.events["primary_killed"], 2),
            "failures": windows,
            "timeline_per_s": _per_second(load.records),
            "failover_window_s": windows["windows"].get("primary_killed", {}).get("window_s"),
            "api_replica_window_s": windows["windows"].get("api_replica_killed", {}).get("window_s"),
            "outbox_drained": drained,
            "checks": result,
            "old_primary_rejoined_as_standby_s": rejoined,
        })
        passed = (result["enrolments_lost"] == 0 and result["consents_lost"] == 0
                  and windows["failures_outside_windows"] == 0 and result["audit_verify_exit"] == 0
                  and result["log"]["gap_free"] and not result["log"]["witness_refused"]
                  and not result["log"]["witness_errors"] and result["log"]["witness_cosigned"] > 0
                  and result["log"]["witnessed_sizes_monotonic"] and result["completed_consents"] > 0
                  and result["completed_enrolments"] > 0 and load.signins > 0)
        report["passed"] = passed
    except KeyboardInterrupt:
        report["passed"] = False
        report["error"] = "interrupted"
        passed = False
    except Exception as error:
        report["passed"] = False
        report["error"] = f"{type(error).__name__}: {error}"
        passed = False
        log(f"failed: {report['error']}")
    finally:
        log("stopping everything")
        cluster.stop_all()
        signal.signal(signal.SIGTERM, previous)
        report["duration_s"] = round(time.monotonic() - started, 1)
        report["logs"] = {p.name: p.logfile.name for p in cluster.procs.values()}
        if not args.keep and report.get("passed"):
            shutil.rmtree(cluster.work, ignore_errors=True)
            report["work_dir"] = None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    summary = {k: report.get(k) for k in ("passed", "duration_s", "failover_window_s", "api_replica_window_s",
                                          "patroni_promotion_s", "old_primary_rejoined_as_standby_s", "error")}
    summary["checks"] = report.get("checks")
    summary["failures_outside_windows"] = report.get("failures", {}).get("failures_outside_windows")
    print(json.dumps(summary, indent=2))
    log(f"wrote {args.out} ({'PASSED' if passed else 'FAILED'}; {report['duration_s']} s)")
    return 0 if passed else 1


def _haproxy_up(cluster: Cluster, server: str) -> bool:
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(cluster.run / "haproxy.sock"))
        sock.sendall(b"show stat\n")
        text = b""
        while chunk := sock.recv(65536):
            text += chunk
    return any(line.split(",")[1] == server and line.split(",")[17] == "UP"
               for line in text.decode().splitlines() if line and not line.startswith("#"))


def _port_busy(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    raise SystemExit(main())
