"""Sign in with CivicID under load: complete sign-ins/s and token endpoint requests/s, p50/p95.

Run: .venv/bin/python bench/oidc_bench.py [--signins 2000] [--tokens 500] [--concurrency 4]
                                          [--max-seconds 60] [--database postgresql|sqlite] [--dpop]
Writes bench/results/oidc_bench.json and oidc_bench.png (oidc_bench_dpop.* with --dpop).

``--dpop``: the relying party is registered with ``dpop_bound_access_tokens`` (RFC 9449 §5.2) and
holds one ES256 key per client worker: every token request carries a proof with the server nonce
(kept from the last ``DPoP-Nonce`` answer, one retry on ``use_dpop_nonce``), and userinfo a proof
with ``ath``. Proof signing is load-generator CPU.

A real ``civicid serve --workers N`` (uvicorn, default 2 workers: one per core) listens on http://localhost:<free port> with a
fresh CIVICID_HOME and a fresh database: PostgreSQL (the production store; a new database
``civicid_oidc_bench`` at CIVICID_BENCH_POSTGRES_URL, default postgres@127.0.0.1:5432) or SQLite in
the home (then use --concurrency 1: concurrent writers get "database is locked" from SQLite's
deferred transactions). The bench registers one relying party and
creates citizens with one passkey each (in-process, before the server starts), then drives the
HTTP API from asyncio clients on the same machine:

- complete sign-in = passkey assertion from the software authenticator (tests/support/softauthn.py:
  ES256, UP|UV) → POST /api/v1/signin/options → POST /api/v1/signin/verify (session cookie) →
  GET /oauth2/authorize (consent remembered: the code comes back at once) → POST /oauth2/token
  (client_secret_basic, PKCE S256) → GET /oauth2/userinfo. The first three come from the
  citizen's browser, a new one (connection and cookies) for every sign-in; token and userinfo
  from the relying party's keep-alive client. (Sending everything over 4 long-lived connections
  let one uvicorn worker accept all of them while the other idled.)
- token endpoint = codes made in batches by authorize, then redeemed concurrently; only the token
  requests are timed.

Each client worker owns its citizens, so signature counters only ever increase. The load
generator runs on the same cores as the server; its own CPU time is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.support.softauthn and tests.e2e.live_server

import aiohttp  # noqa: E402

from tests.e2e.live_server import LiveServer, free_port  # noqa: E402
from tests.support.softauthn import SoftAuthenticator  # noqa: E402

OUT = ROOT / "bench" / "results"
STEPS = ("signin_options", "signin_verify", "authorize", "token", "userinfo")
SCOPE = "openid age"
TARGET_SIGNINS_PER_S = 100
TARGET_TOKEN_P95_MS = 50


class FlowError(RuntimeError):
    """A step answered something else than success: counted by ``step:status:code``."""

    def __init__(self, step: str, response: "Reply") -> None:
        try:
            code = response.json().get("error")
            code = code.get("code") if isinstance(code, dict) else code
        except ValueError:
            code = None
        self.key = f"{step}:{response.status_code}:{code or 'no_code'}"
        super().__init__(f"{self.key} {response.headers.get('location', '') or response.text[:300]}")


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: dict[str, str]
    text: str

    def json(self):
        return json.loads(self.text)


class HttpClient:
    """The load generator's HTTP client: aiohttp, keep-alive, a cookie jar, no redirects followed.
    (httpx cost 1.9 ms of client CPU per request here, aiohttp 0.3 ms, and the load generator
    shares the server's cores.)"""

    def __init__(self, base_url: str) -> None:
        self._session = aiohttp.ClientSession(
            base_url=base_url, cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(limit=4), timeout=aiohttp.ClientTimeout(total=30))

    @property
    def cookies(self) -> aiohttp.CookieJar:
        return self._session.cookie_jar

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Reply:
        return await self._send("GET", path, headers=headers)

    async def post(self, path: str, *, json=None, data=None, headers: dict[str, str] | None = None) -> Reply:
        return await self._send("POST", path, json=json, data=data, headers=headers)

    async def _send(self, method: str, path: str, **kwargs) -> Reply:
        async with self._session.request(method, path, allow_redirects=False, **kwargs) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, await response.text())

    async def aclose(self) -> None:
        await self._session.close()

    async def __aenter__(self) -> "HttpClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


@dataclass
class Member:
    """A citizen the bench signs in as, with their passkey on a software authenticator."""

    authenticator: SoftAuthenticator
    citizen_id: str = field(repr=False)


@dataclass
class Setup:
    server: LiveServer
    client_id: str
    client_secret: str
    redirect_uri: str
    members: list[Member]
    dpop: bool = False


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process and its live descendants (uvicorn's workers),
    from Linux /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_cpu_s(int(child)) or 0.0 for child in children)


def postgres_cpu_s() -> float:
    """CPU seconds of every running PostgreSQL process (the pool keeps its backends alive)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, IndexError, ValueError):
            continue
        if name == "postgres":
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values_ms: list[float]) -> dict:
    return {"count": len(values_ms), "p50_ms": round(percentile(values_ms, 50), 2),
            "p95_ms": round(percentile(values_ms, 95), 2),
            "mean_ms": round(statistics.fmean(values_ms), 2) if values_ms else None}


# --- setup (in-process, before the server starts) ----------------------------------------------

def _postgres_admin(*statements: str) -> str:
    import sqlalchemy as sa

    base = sa.make_url(os.environ.get("CIVICID_BENCH_POSTGRES_URL",
                                      "postgresql+psycopg://postgres@127.0.0.1:5432/civicid_oidc_bench"))
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement.format(db=base.database)))
    admin.dispose()
    return base.render_as_string(hide_password=False)


def fresh_postgres() -> str:
    return _postgres_admin('DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', 'CREATE DATABASE "{db}"')


def drop_postgres() -> None:
    _postgres_admin('DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def prepare(citizens: int, database_url: str | None, *, workers: int = 1, dpop: bool = False) -> Setup:
    from civicid.identity.passkeys import PasskeyService
    from civicid.identity.service import CitizenService
    from civicid.ids import generate_id_number, parse_id_number
    from civicid.oidc.clients import register_client
    from civicid.registry.interfaces import RegistryRecord
    from civicid.registry.names import generate_name
    from civicid.runtime import build_runtime

    home = Path(tempfile.mkdtemp(prefix="civicid-oidc-bench-"))
    server = LiveServer(home=home, port=free_port(), database_url=database_url, workers=workers)
    runtime = build_runtime(server.settings())
    rng = random.Random(20261123)
    today = runtime.clock.now().date()
    redirect_uri = f"{server.url}/bench/callback"
    members = []
    with runtime.transaction() as session:
        client_id, client_secret = register_client(session, runtime, name="OIDC bench", redirect_uris=[redirect_uri],
                                                   dpop_bound_access_tokens=dpop)
        citizens_service = CitizenService(session, runtime.vault(session), runtime.clock)
        passkeys = PasskeyService.from_runtime(runtime, session)
        for _ in range(citizens):
            number = parse_id_number(generate_id_number(rng, today=today, birth_date=date(1990, 1, 1)), today=today)
            citizen = citizens_service.create(RegistryRecord(
                id_number=number.value, name=generate_name(rng), birth_date=number.birth_date, sex="M", photo=b""),
                verification="face-liveness")
            authenticator = SoftAuthenticator(origin=server.url)
            options = passkeys.registration_options(citizen.id, user_name=citizen.network_id)
            passkeys.verify_registration(options.ceremony_id, authenticator.create(options.public_key),
                                         citizen_id=citizen.id)
            members.append(Member(authenticator, citizen.id))
    if runtime.engine is not None:
        runtime.engine.dispose()
    return Setup(server, client_id, client_secret, redirect_uri, members, dpop)


# --- one complete sign-in ----------------------------------------------------------------------

def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class Flow:
    """The two parties of a sign-in, as the server sees them: the citizen's browser (a new one for
    every sign-in, with its own connection and cookies, since each sign-in is another person's)
    and the relying party's back channel for token and userinfo (``rp``: one keep-alive client,
    like a web server's HTTP pool)."""

    def __init__(self, setup: Setup, rp: HttpClient) -> None:
        self.setup, self.rp = setup, rp
        basic = base64.b64encode(f"{setup.client_id}:{setup.client_secret}".encode()).decode()
        self.client_auth = {"Authorization": f"Basic {basic}"}  # client_secret_basic
        self.dpop_key = _dpop_key() if setup.dpop else None
        self.dpop_nonce: str | None = None

    def _proof(self, method: str, path: str, *, access_token: str | None = None, nonce: str | None = None) -> str:
        """An RFC 9449 §4.2 proof by this relying party's key."""
        from joserfc import jwt

        claims = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": self.setup.server.url + path,
                  "iat": int(time.time())}
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(
                b"=").decode()
        return jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.dpop_key.as_dict(private=False)},
                          claims, self.dpop_key)

    def browser(self) -> HttpClient:
        return HttpClient(self.setup.server.url)

    async def passkey_sign_in(self, browser: HttpClient, member: Member, timings: dict[str, float]) -> None:
        started = time.perf_counter()
        response = await browser.post("/api/v1/signin/options")
        if response.status_code != 200:
            raise FlowError("signin_options", response)
        options = response.json()
        timings["signin_options"] = (time.perf_counter() - started) * 1000
        assertion = member.authenticator.get(options["publicKey"])  # client side, not timed as server time
        started = time.perf_counter()
        response = await browser.post("/api/v1/signin/verify",
                                          json={"ceremony_id": options["ceremony_id"], "credential": assertion})
        if response.status_code != 200:
            raise FlowError("signin_verify", response)
        timings["signin_verify"] = (time.perf_counter() - started) * 1000

    async def code(self, browser: HttpClient, timings: dict[str, float] | None = None) -> tuple[str, str]:
        """A code from /oauth2/authorize for the signed-in citizen (consent given before);
        returns (code, code_verifier)."""
        verifier, challenge = _pkce()
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        query = urlencode({"response_type": "code", "client_id": self.setup.client_id,
                           "redirect_uri": self.setup.redirect_uri, "scope": SCOPE, "state": state, "nonce": nonce,
                           "code_challenge": challenge, "code_challenge_method": "S256"})
        started = time.perf_counter()
        response = await browser.get("/oauth2/authorize?" + query)
        if response.status_code == 200 and 'name="csrf"' in response.text:  # first time: the consent page
            response = await self._consent(browser, response.text)
        if timings is not None:
            timings["authorize"] = (time.perf_counter() - started) * 1000
        location = response.headers.get("location", "")
        params = parse_qs(urlsplit(location).query)
        if response.status_code not in (302, 303) or params.get("state") != [state] or "code" not in params:
            raise FlowError("authorize", response)
        return params["code"][0], verifier

    async def _consent(self, browser: HttpClient, html: str) -> Reply:
        fields = dict(re.findall(r'name="(authorize_query|csrf)" value="([^"]*)"', html))
        return await browser.post("/oauth2/consent", data={
            "authorize_query": unescape(fields["authorize_query"]), "csrf": unescape(fields["csrf"]),
            "decision": "allow"})

    async def token(self, code: str, verifier: str, timings: dict[str, float] | None = None) -> dict:
        started = time.perf_counter()
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.setup.redirect_uri,
                "code_verifier": verifier}
        if self.dpop_key is None:
            response = await self.rp.post("/oauth2/token", headers=self.client_auth, data=data)
        else:
            for _ in range(2):  # a stale or missing nonce costs one retry (RFC 9449 §8)
                proof = self._proof("POST", "/oauth2/token", nonce=self.dpop_nonce)
                response = await self.rp.post("/oauth2/token", headers={**self.client_auth, "DPoP": proof},
                                              data=data)
                self.dpop_nonce = response.headers.get("dpop-nonce") or self.dpop_nonce
                if not (response.status_code == 400 and response.json().get("error") == "use_dpop_nonce"):
                    break
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise FlowError("token", response)
        if timings is not None:
            timings["token"] = elapsed
        return {"elapsed_ms": elapsed, **response.json()}

    async def userinfo(self, access_token: str, timings: dict[str, float]) -> dict:
        started = time.perf_counter()
        if self.dpop_key is None:
            headers = {"Authorization": f"Bearer {access_token}"}
        else:
            headers = {"Authorization": f"DPoP {access_token}",
                       "DPoP": self._proof("GET", "/oauth2/userinfo", access_token=access_token)}
        response = await self.rp.get("/oauth2/userinfo", headers=headers)
        if response.status_code != 200:
            raise FlowError("userinfo", response)
        timings["userinfo"] = (time.perf_counter() - started) * 1000
        return response.json()

    async def complete(self, member: Member) -> dict[str, float]:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        async with self.browser() as browser:
            await self.passkey_sign_in(browser, member, timings)
            code, verifier = await self.code(browser, timings)
        tokens = await self.token(code, verifier, timings)
        claims = await self.userinfo(tokens["access_token"], timings)
        if claims.get("verified") is not True:
            raise RuntimeError(f"userinfo without verified: {claims}")
        timings["total"] = (time.perf_counter() - started) * 1000
        return timings


def _dpop_key():
    from joserfc.jwk import ECKey

    return ECKey.generate_key("P-256")


# --- phases ------------------------------------------------------------------------------------

async def warm_up(setup: Setup, concurrency: int) -> None:
    """One sign-in per citizen, through the consent page: afterwards consent is remembered."""
    async def worker(index: int) -> None:
        async with HttpClient(setup.server.url) as rp:
            flow = Flow(setup, rp)
            for member in setup.members[index::concurrency]:
                for attempt in range(5):
                    try:
                        await flow.complete(member)
                        break
                    except FlowError:
                        if attempt == 4:
                            raise

    await asyncio.gather(*(worker(i) for i in range(concurrency)))


async def complete_signins(setup: Setup, *, total: int, concurrency: int, max_seconds: float) -> dict:
    results: list[dict[str, float]] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + max_seconds

    async def worker(index: int) -> None:
        members = setup.members[index::concurrency]
        async with HttpClient(setup.server.url) as rp:
            flow = Flow(setup, rp)
            turn = 0
            while len(results) + sum(errors.values()) < total and time.perf_counter() < deadline:
                try:
                    results.append(await flow.complete(members[turn % len(members)]))
                except FlowError as error:
                    errors[error.key] = errors.get(error.key, 0) + 1
                turn += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"seconds": round(elapsed, 2), "per_second": round(len(results) / elapsed, 1),
            "failed": sum(errors.values()), "errors": errors,
            "latency": summary([r["total"] for r in results]),
            "steps": {step: summary([r[step] for r in results]) for step in STEPS}}


async def token_endpoint(setup: Setup, *, total: int, concurrency: int, max_seconds: float,
                         batch: int = 200) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    timed = 0.0
    deadline = time.perf_counter() + max_seconds
    flows, browsers = [], []
    for index in range(concurrency):  # one signed-in browser per worker makes the codes
        flow, browser = Flow(setup, HttpClient(setup.server.url)), HttpClient(setup.server.url)
        await flow.passkey_sign_in(browser, setup.members[index], {})
        flows.append(flow)
        browsers.append(browser)
    try:
        while len(latencies) + sum(errors.values()) < total and time.perf_counter() < deadline:
            size = min(batch, total - len(latencies) - sum(errors.values()))
            codes = await asyncio.gather(*(flows[i % concurrency].code(browsers[i % concurrency])
                                           for i in range(size)),
                                         return_exceptions=True)
            queue = [code for code in codes if not isinstance(code, BaseException)]
            if not queue:
                raise RuntimeError(f"no code could be made: {codes[0]!r}")

            async def redeem(flow: Flow) -> None:
                while queue:
                    code, verifier = queue.pop()
                    try:
                        latencies.append((await flow.token(code, verifier))["elapsed_ms"])
                    except FlowError as error:
                        errors[error.key] = errors.get(error.key, 0) + 1

            started = time.perf_counter()
            await asyncio.gather(*(redeem(flow) for flow in flows))
            timed += time.perf_counter() - started
    finally:
        for client in [flow.rp for flow in flows] + browsers:
            await client.aclose()
    return {"seconds": round(timed, 2), "per_second": round(len(latencies) / timed, 1) if timed else None,
            "failed": sum(errors.values()), "errors": errors, "latency": summary(latencies), "latencies_ms": [round(v, 2) for v in latencies]}


# --- report ------------------------------------------------------------------------------------

def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    steps = result["signins"]["steps"]
    names = list(steps)
    p50 = [steps[n]["p50_ms"] for n in names]
    p95 = [steps[n]["p95_ms"] for n in names]
    x = range(len(names))
    left.bar([i - 0.2 for i in x], p50, width=0.4, label="p50")
    left.bar([i + 0.2 for i in x], p95, width=0.4, label="p95")
    left.set_xticks(list(x), names, rotation=20)
    left.set_ylabel("ms")
    cpu = result["signins"].get("cpu_ms_per_signin")
    left.set_title(f"Complete sign-in: {result['signins']['per_second']} /s (target {TARGET_SIGNINS_PER_S}), "
                   f"p50 {result['signins']['latency']['p50_ms']} ms, p95 {result['signins']['latency']['p95_ms']} ms"
                   + (f"\nCPU per sign-in: server {cpu['server']} ms, PostgreSQL {cpu['postgresql']} ms, "
                      f"load generator {cpu['load_generator']} ms" if cpu else ""), fontsize=10)
    left.legend()
    token = result["token"]
    ordered = sorted(token["latencies_ms"])
    right.plot(ordered, [i / max(1, len(ordered) - 1) for i in range(len(ordered))])
    right.axvline(TARGET_TOKEN_P95_MS, color="red", linestyle="--", label=f"target p95 {TARGET_TOKEN_P95_MS} ms")
    right.axhline(0.95, color="grey", linestyle=":")
    right.set_xlabel("token request latency (ms)")
    right.set_ylabel("fraction of requests")
    right.set_title(f"Token endpoint: {token['per_second']} req/s, p95 {token['latency']['p95_ms']} ms "
                    f"(concurrency {result['config']['concurrency']})", fontsize=10)
    right.legend()
    fig.suptitle(f"CivicID OIDC bench — {result['machine']['cpus']} CPUs, {result['config']['database']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


async def run(args) -> dict:
    setup = prepare(args.citizens, fresh_postgres() if args.database == "postgresql" else None,
                    workers=args.workers, dpop=args.dpop)
    setup.server.start()
    try:
        await warm_up(setup, args.concurrency)
        pid = setup.server.process.pid
        cpu_before, server_before, pg_before = time.process_time(), process_cpu_s(pid), postgres_cpu_s()
        signins = await complete_signins(setup, total=args.signins, concurrency=args.concurrency,
                                         max_seconds=args.max_seconds)
        server_after, pg_after, client_after = process_cpu_s(pid), postgres_cpu_s(), time.process_time()
        count = signins["latency"]["count"]
        if server_before is not None and count:
            signins["cpu_ms_per_signin"] = {
                "server": round((server_after - server_before) * 1000 / count, 1),
                "postgresql": round((pg_after - pg_before) * 1000 / count, 1),
                "load_generator": round((client_after - cpu_before) * 1000 / count, 1)}
        token = await token_endpoint(setup, total=args.tokens, concurrency=args.concurrency,
                                     max_seconds=args.max_seconds)
        client_cpu = time.process_time() - cpu_before
    except BaseException:
        setup.server.stop()
        print(f"the server's log is kept in {setup.server.home / 'server.log'}", file=sys.stderr)
        raise
    setup.server.stop()
    shutil.rmtree(setup.server.home, ignore_errors=True)
    if args.database == "postgresql":
        drop_postgres()
    return {
        "config": {"signins": args.signins, "tokens": args.tokens, "concurrency": args.concurrency,
                   "citizens": args.citizens, "max_seconds": args.max_seconds,
                   "database": args.database, "workers": args.workers, "dpop": args.dpop,
                   "server": f"civicid serve --workers {args.workers} (uvicorn, httptools, uvloop)"},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "signins": signins,
        "token": token,
        "load_generator_cpu_s": round(client_cpu, 2),
        "targets": {"signins_per_s": TARGET_SIGNINS_PER_S, "token_p95_ms": TARGET_TOKEN_P95_MS,
                    "signins_met": signins["per_second"] >= TARGET_SIGNINS_PER_S,
                    "token_p95_met": token["latency"]["p95_ms"] < TARGET_TOKEN_P95_MS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signins", type=int, default=2000, help="complete sign-ins to time (at most)")
    parser.add_argument("--tokens", type=int, default=500, help="token requests to time (at most)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients (4 gave the most sign-ins/s on 2 cores)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (one per core)")
    parser.add_argument("--citizens", type=int, default=32, help="citizens (each with one passkey)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time limit of each timed phase")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql",
                        help="a fresh PostgreSQL database (default) or SQLite in the temp home")
    parser.add_argument("--dpop", action="store_true", help="DPoP-bound tokens (RFC 9449): proofs at token and userinfo")
    args = parser.parse_args()
    if args.citizens < args.concurrency:
        parser.error("--citizens must be at least --concurrency (each worker owns its citizens)")
    result = asyncio.run(run(args))
    OUT.mkdir(parents=True, exist_ok=True)
    name = "oidc_bench_dpop" if args.dpop else "oidc_bench"
    plot(result, OUT / f"{name}.png")
    token_latencies = result["token"].pop("latencies_ms")
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    result["token"]["latencies_ms"] = f"{len(token_latencies)} values"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
