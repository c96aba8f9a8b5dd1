"""Do the tables stay bounded under sign-in load? Row counts over three simulated days, pruned and not.

Run: .venv/bin/python bench/prune_bench.py [--signins 2000] [--hours 72] [--prune-every-min 5]
                                           [--database sqlite|postgresql]
Writes bench/results/prune_bench.json.

The load is the OIDC bench's complete sign-in (bench/oidc_bench.py), driven in-process: passkey
assertion from the software authenticator → POST /api/v1/signin/options → POST
/api/v1/signin/verify (a sign-in session) → GET /oauth2/authorize (consent remembered) → POST
/oauth2/token → GET /oauth2/userinfo; with, every tenth sign-in, an abandoned enrolment start (an
enrolment session with its data key, counted attempts) and an unused partner challenge. A new
browser (no cookies) for every sign-in.

What expires lives for hours (sign-in sessions 8 h), so the bench runs on a pinned clock that it
moves forward by ``hours / signins`` before every sign-in: three days of load in a few minutes
(the longest lifetime is a day: the enrolment attempts' window; sign-in sessions last 8 h).
Every ``--prune-every-min`` simulated minutes it calls ``prune_expired(runtime)``, what the
server's ``Pruner`` thread runs every CIVICID_MAINTENANCE_PRUNE_INTERVAL_S. The same load then
runs again without pruning, for comparison. Rows per table are sampled every simulated hour.

"Bounded" means: in the last third of the run no table is larger than its largest size in the
middle third (give or take one prune interval's inflow), i.e. the counts have levelled off at
arrival rate × lifetime, while without pruning they keep growing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.support.softauthn

from fastapi.testclient import TestClient  # noqa: E402

from civicid.clock import FixedClock  # noqa: E402
from civicid.identity.passkeys import PasskeyService  # noqa: E402
from civicid.identity.service import CitizenService  # noqa: E402
from civicid.ids import generate_id_number, parse_id_number  # noqa: E402
from civicid.maintenance.service import prune_expired, table_sizes  # noqa: E402
from civicid.oidc.clients import register_client  # noqa: E402
from civicid.partners.service import PartnerService  # noqa: E402
from civicid.registry.demo import DemoRegistry  # noqa: E402
from civicid.registry.interfaces import RegistryRecord  # noqa: E402
from civicid.registry.names import generate_name  # noqa: E402
from civicid.runtime import build_runtime  # noqa: E402
from civicid.settings import Settings  # noqa: E402
from civicid.web.app import create_app  # noqa: E402
from tests.support.softauthn import SoftAuthenticator  # noqa: E402

OUT = ROOT / "bench" / "results"
ORIGIN = "http://localhost"
REDIRECT_URI = "https://rp.example/callback"
SCOPE = "openid age"
START = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)


def fresh_database(kind: str, home: Path, name: str) -> str | None:
    if kind == "sqlite":
        return None  # the home's civicid.db
    import sqlalchemy as sa

    base = sa.make_url(os.environ.get("CIVICID_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x"))
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


class Load:
    """One service with citizens, a relying party and a partner, driven through its HTTP API."""

    def __init__(self, *, database: str, citizens: int, seed: int) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="civicid-prune-bench-"))
        url = fresh_database(database, self.home, os.environ.get("CIVICID_BENCH_DATABASE", "civicid_prune_bench"))
        self.clock = FixedClock(START)
        self.settings = Settings(home=self.home, database_url=url, public_url=ORIGIN, environment="test",
                                 enrolment_min_response_s=0, enrolment_failures_per_client_per_hour=10_000,
                                 enrolment_failures_per_id_per_day=10_000, partner_requests_per_minute=10_000)
        self.runtime = build_runtime(self.settings, clock=self.clock)
        self.http = TestClient(create_app(self.settings, runtime=self.runtime), base_url=ORIGIN)
        self.rng = random.Random(seed)
        self.members: list[SoftAuthenticator] = []
        self.applicants: list[tuple[str, str]] = []
        self._prepare(citizens)

    def _prepare(self, citizens: int) -> None:
        today = self.clock.now().date()
        with self.runtime.transaction() as session:
            self.client_id, self.secret = register_client(session, self.runtime, name="Prune bench",
                                                          redirect_uris=[REDIRECT_URI])
            partner = PartnerService(self.runtime, session).register("Prune bench partner")
            self.partner_auth = (partner.client_id, partner.secret)
            people = CitizenService(session, self.runtime.vault(session), self.clock)
            passkeys = PasskeyService.from_runtime(self.runtime, session)
            registry = DemoRegistry(session, self.runtime.vault(session), self.clock)
            for index in range(citizens * 2):
                number = parse_id_number(generate_id_number(self.rng, today=today, birth_date=date(1990, 1, 1)),
                                         today=today)
                record = RegistryRecord(id_number=number.value, name=generate_name(self.rng),
                                        birth_date=number.birth_date, sex="M", photo=b"")
                if index % 2:  # in the registry, not enrolled: starts enrolments and abandons them
                    registry.add(record)
                    self.applicants.append((record.id_number, record.name))
                    continue
                citizen = people.create(record, verification="face-liveness")
                authenticator = SoftAuthenticator(origin=ORIGIN)
                options = passkeys.registration_options(citizen.id, user_name=citizen.network_id)
                passkeys.verify_registration(options.ceremony_id, authenticator.create(options.public_key),
                                             citizen_id=citizen.id)
                self.members.append(authenticator)

    def sign_in(self, turn: int) -> None:
        http = self.http
        http.cookies.clear()  # a new browser
        options = _ok(http.post("/api/v1/signin/options"), 200).json()
        assertion = self.members[turn % len(self.members)].get(options["publicKey"])
        _ok(http.post("/api/v1/signin/verify", json={"ceremony_id": options["ceremony_id"], "credential": assertion}),
            200)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({"response_type": "code", "client_id": self.client_id, "redirect_uri": REDIRECT_URI,
                           "scope": SCOPE, "state": "s", "nonce": secrets.token_urlsafe(12),
                           "code_challenge": challenge, "code_challenge_method": "S256"})
        response = http.get("/oauth2/authorize?" + query, follow_redirects=False)
        if response.status_code == 200:  # the first time: the consent page
            fields = dict(re.findall(r'name="(authorize_query|csrf)" value="([^"]*)"', response.text))
            response = http.post("/oauth2/consent", data={"authorize_query": unescape(fields["authorize_query"]),
                                                           "csrf": unescape(fields["csrf"]), "decision": "allow"},
                                 follow_redirects=False)
        code = parse_qs(urlsplit(_ok(response, 302, 303).headers["location"]).query)["code"][0]
        tokens = _ok(http.post("/oauth2/token", auth=(self.client_id, self.secret), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier}), 200).json()
        _ok(http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}), 200)

    def abandoned_starts(self, turn: int) -> None:
        number, name = self.applicants[turn % len(self.applicants)]
        _ok(self.http.post("/api/v1/enrolments", json={"id_number": number, "name": name}), 201)
        _ok(self.http.post("/api/v1/verifications/challenge", auth=self.partner_auth), 201)

    def sizes(self) -> dict[str, int]:
        with self.runtime.transaction() as session:
            return table_sizes(session)

    def close(self) -> None:
        if self.runtime.engine is not None:
            self.runtime.engine.dispose()


def _ok(response, *statuses: int):
    if response.status_code not in statuses:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                           f"{response.text[:300]}")
    return response


def run(*, signins: int, hours: float, prune_every_min: float | None, database: str, citizens: int,
        seed: int) -> dict:
    load = Load(database=database, citizens=citizens, seed=seed)
    step = timedelta(hours=hours) / signins
    samples, prune_ms = [], []
    next_sample, next_prune = START, START + timedelta(minutes=prune_every_min or 0)
    started = time.perf_counter()
    try:
        for turn in range(signins):
            load.clock.advance(seconds=step.total_seconds())
            now = load.clock.now()
            if prune_every_min and now >= next_prune:
                began = time.perf_counter()
                prune_expired(load.runtime)
                prune_ms.append((time.perf_counter() - began) * 1000)
                next_prune += timedelta(minutes=prune_every_min)
            load.sign_in(turn)
            if turn % 10 == 0:
                load.abandoned_starts(turn // 10)
            if now >= next_sample:
                samples.append({"simulated_h": round((now - START).total_seconds() / 3600, 2), **load.sizes()})
                next_sample += timedelta(hours=1)
        samples.append({"simulated_h": round((load.clock.now() - START).total_seconds() / 3600, 2), **load.sizes()})
    finally:
        load.close()
    passes = {"count": len(prune_ms)}
    if prune_ms:
        passes.update(p50=round(statistics.median(prune_ms), 2),
                      p95=round(sorted(prune_ms)[int(0.95 * (len(prune_ms) - 1))], 2))
    return {"seconds": round(time.perf_counter() - started, 1), "samples": samples, "prune_pass_ms": passes}


def levelled_off(samples: list[dict], *, slack: dict[str, float]) -> dict[str, bool]:
    """Per table: is its largest size in the last third at most its largest in the middle third
    plus ``slack`` (the rows one prune interval brings in)?"""
    third = max(1, len(samples) // 3)
    middle, last = samples[third:2 * third], samples[2 * third:]
    tables = [key for key in samples[0] if key != "simulated_h"]
    return {table: max(s[table] for s in last) <= max(s[table] for s in middle) + slack[table] for table in tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signins", type=int, default=2000)
    parser.add_argument("--hours", type=float, default=72)
    parser.add_argument("--prune-every-min", type=float, default=5)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=20261102)
    args = parser.parse_args()

    options = dict(signins=args.signins, hours=args.hours, database=args.database, citizens=args.citizens,
                   seed=args.seed)
    pruned = run(prune_every_min=args.prune_every_min, **options)
    unpruned = run(prune_every_min=None, **options)
    per_interval = args.signins / (args.hours * 60) * args.prune_every_min  # sign-ins per prune interval
    slack = {table: 2 * per_interval + 2 for table in pruned["samples"][0] if table != "simulated_h"}
    bounded = levelled_off(pruned["samples"], slack=slack)
    final_pruned, final_unpruned = pruned["samples"][-1], unpruned["samples"][-1]
    result = {
        "bench": "prune_bench", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "parameters": {**options, "prune_every_min": args.prune_every_min,
                       "simulated_seconds_per_signin": round(args.hours * 3600 / args.signins, 2)},
        "bounded": all(bounded.values()), "bounded_per_table": bounded,
        "final_rows": {table: {"pruned": final_pruned[table], "unpruned": final_unpruned[table]}
                       for table in final_pruned if table != "simulated_h"},
        "pruned": pruned, "unpruned": unpruned,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "prune_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("parameters", "bounded", "bounded_per_table", "final_rows")}, indent=2))
    print(f"prune pass: {pruned['prune_pass_ms']}; wrote {OUT / 'prune_bench.json'}")
    if not result["bounded"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
