"""The measurements at size (bench/scale_bench.py's docstring says what each one goes through)."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import sqlalchemy as sa

from bench.scale.load import TABLES, catalog_signature, libpq_url
from bench.scale.population import person

SAMPLE_SEED = 20261130
CHALLENGE = "turn_right,turn_left"  # what the clip shows between 0.0 and 2.8 s (tests/support/harness.py)
CLIP = "videos/genuine_webcam_blink_turn_clm.mp4"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def latency(values_ms: list[float]) -> dict:
    return {"count": len(values_ms), "p50_ms": round(percentile(values_ms, 50), 3),
            "p90_ms": round(percentile(values_ms, 90), 3), "p99_ms": round(percentile(values_ms, 99), 3),
            "max_ms": round(max(values_ms), 3), "mean_ms": round(statistics.fmean(values_ms), 3)}


def _proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends_cpu_s(url: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to this database now (the pools keep them
    open), read from /proc: PostgreSQL's side of the work, apart from other databases' jobs."""
    with psycopg.connect(libpq_url(url)) as conn:
        pids = [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return sum(_proc_cpu_s(pid) for pid in pids)


def loaded_citizens(url: str) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("SELECT coalesce(sum(citizens), 0) FROM scale_bench_batches").fetchone()[0]


# --- size ---------------------------------------------------------------------------------------

def sizes(url: str, citizens: int) -> dict:
    with psycopg.connect(libpq_url(url)) as conn:
        tables = {}
        for table in TABLES:
            rows, heap, index, total = conn.execute(
                f"SELECT (SELECT count(*) FROM {table}), pg_table_size(%(t)s), pg_indexes_size(%(t)s), "
                "pg_total_relation_size(%(t)s)", {"t": table}).fetchone()
            indexes = dict(conn.execute(
                "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                "WHERE relname = %s ORDER BY 1", (table,)).fetchall())
            tables[table] = {"rows": rows, "table_bytes": heap, "index_bytes": index, "total_bytes": total,
                             "indexes": indexes}
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    total = sum(t["total_bytes"] for t in tables.values())
    without_passkeys = total - tables["passkeys"]["total_bytes"]
    return {"tables": tables, "database_bytes": database,
            "bytes_per_citizen": round(total / citizens, 1),
            "bytes_per_citizen_without_passkeys": round(without_passkeys / citizens, 1),
            "table_bytes_per_citizen": round(sum(t["table_bytes"] for t in tables.values()) / citizens, 1),
            "index_bytes_per_citizen": round(sum(t["index_bytes"] for t in tables.values()) / citizens, 1)}


def load_curve(url: str, points: int = 200) -> list[tuple[float, int]]:
    """(seconds into the load, citizens loaded) after each batch, thinned to ``points``."""
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM b.loaded_at - r.started_at), b.citizens, b.run FROM scale_bench_batches b "
            "JOIN scale_bench_runs r ON r.id = b.run ORDER BY b.run, b.loaded_at").fetchall()
    curve, offset, total, last_run, last_t = [(0.0, 0)], 0.0, 0, None, 0.0
    for seconds, count, run in rows:
        if run != last_run:
            offset, last_run = last_t, run
        total += count
        last_t = offset + float(seconds)
        curve.append((round(last_t, 1), total))
    step = max(1, len(curve) // points)
    return curve[::step] + ([curve[-1]] if curve and len(curve) % step != 1 else [])


# --- the in-process runtime ---------------------------------------------------------------------

def make_settings(home: Path, url: str, *, public_url: str = "http://localhost:8000"):
    from civicid.settings import Settings

    return Settings(home=home, database_url=url, public_url=public_url, environment="test", demo=True,
                    test_challenge=CHALLENGE, enrolment_min_response_s=0, face_pad="off", face_workers=1,
                    enrolment_starts_per_client_per_hour=1_000_000,
                    enrolment_failures_per_client_per_hour=1_000_000,
                    partner_requests_per_minute=1_000_000, partner_requests_per_id_per_hour=1_000_000)


def make_runtime(settings, engine=None):
    from civicid.runtime import build_runtime

    return build_runtime(settings, face_engine=engine)


# --- lookups ------------------------------------------------------------------------------------

def lookups(runtime, citizens: int, *, count: int, warm_up: int = 500, check_every: int = 100) -> dict:
    """``find_by_id_number`` (blind index) in a unit of work each, for random loaded citizens."""
    from civicid.identity.service import CitizenService

    rng = random.Random(SAMPLE_SEED)
    picks = [rng.randrange(citizens) for _ in range(warm_up + count)]
    times, found, checked, decrypted_ok = [], 0, 0, 0
    url = runtime.settings.resolved_database_url
    for n, index in enumerate(picks):
        if n == warm_up:
            cpu_client, cpu_pg = time.process_time(), backends_cpu_s(url)
        number = person(index, seed=SEED).id_number
        started = time.perf_counter()
        with runtime.transaction() as session:
            service = CitizenService(session, runtime.vault(session), runtime.clock)
            citizen = service.find_by_id_number(number)
            elapsed = (time.perf_counter() - started) * 1000
            if n >= warm_up and citizen is not None and n % check_every == 0:  # not timed
                checked += 1
                decrypted_ok += service.profile(citizen).id_number == number
        if n >= warm_up:
            times.append(elapsed)
            found += citizen is not None
    cpu_client, cpu_pg = time.process_time() - cpu_client, backends_cpu_s(url) - cpu_pg
    return {"cpu_ms_per_lookup": {"client": round(cpu_client * 1000 / count, 3),
                                  "postgresql": round(cpu_pg * 1000 / count, 3),
                                  "note": "client = this process (the service code); postgresql = the backends "
                                          "of this database; both from /proc, so other jobs' load is not in them"},
            "loadavg_1m_end": os.getloadavg()[0],
            "path": "CitizenService.find_by_id_number in Runtime.transaction (blind index, SQLAlchemy ORM, "
                    "psycopg 3), one lookup at a time, random citizens",
            "warm_up": warm_up, "found": found, "decrypted_and_equal": decrypted_ok, "decrypt_checked": checked,
            **latency(times), "latencies_ms": [round(t, 3) for t in times]}


SEED = 15  # bench/scale_bench.py's SEED: the population's


def sql_lookups(runtime, citizens: int, *, count: int, warm_up: int = 500) -> dict:
    """The lookup's one statement alone, for comparison: the blind index computed as the vault
    does, then ``SELECT ... WHERE id_number_index = $1`` prepared on one psycopg connection,
    autocommit. What remains of ``lookups`` beyond this is the service code (session, ORM,
    transaction) and waiting for a core."""
    from civicid.vault.blind_index import blind_index
    from civicid.vault.store import BLIND_INDEX_PURPOSE

    key = runtime.keys.hmac_key(BLIND_INDEX_PURPOSE)
    rng = random.Random(SAMPLE_SEED + 3)
    picks = [rng.randrange(citizens) for _ in range(warm_up + count)]
    times, found = [], 0
    with psycopg.connect(libpq_url(runtime.settings.resolved_database_url), autocommit=True) as conn:
        for n, index in enumerate(picks):
            number = person(index, seed=SEED).id_number
            started = time.perf_counter()
            row = conn.execute("SELECT * FROM citizens WHERE id_number_index = %s", (blind_index(key, number),),
                               prepare=True).fetchone()
            elapsed = (time.perf_counter() - started) * 1000
            if n >= warm_up:
                times.append(elapsed)
                found += row is not None
    return {"path": "blind_index + one prepared SELECT on psycopg 3, autocommit, no ORM", "found": found,
            **latency(times)}


# --- faces ----------------------------------------------------------------------------------------

@dataclass
class FaceInputs:
    frames: tuple
    photo: bytes
    engine: object  # ReplayEngine


def face_inputs(settings) -> FaceInputs:
    """The clip's frames and registry photo (as the enrolment and partner tests use them), and a
    replay engine that recorded the service engine's answers on them."""
    from civicid.face.decode import decode_image
    from civicid.runtime import service_engine
    from civicid.enrolment.frames import Frame
    from civicid.face.video import sample_frames

    from bench.scale.faces import ReplayEngine

    root = Path(os.environ.get("CIVICID_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))
    clip = root.resolve() / CLIP
    if not clip.exists():
        raise SystemExit(f"the clip {clip} is missing (CIVICID_DATA): the enrolment and verification phases need it")
    frames = tuple(Frame(f.t_ms, f.jpeg) for f in sample_frames(clip, fps=15.0, start_s=0.0, end_s=2.8))
    photo = next(iter(sample_frames(clip, fps=15.0, start_s=3.0, end_s=3.2))).jpeg
    engine = ReplayEngine(service_engine(settings))
    images = [decode_image(f.data, max_bytes=settings.image_max_bytes, max_pixels=settings.live_frame_max_pixels)
              for f in frames]
    engine.record_all(images + [decode_image(photo, max_bytes=settings.image_max_bytes,
                                             max_pixels=settings.image_max_pixels)])
    return FaceInputs(frames, photo, engine)


def add_registry_people(runtime, people, photo: bytes) -> None:
    from civicid.registry.demo import DemoRegistry

    with runtime.transaction() as session:
        registry = DemoRegistry(session, runtime.vault(session), runtime.clock)
        for someone in people:
            if registry.lookup(someone.id_number) is None:  # added by an earlier measurement
                registry.add(someone.record(photo))


def warm_replay(runtime, inputs: FaceInputs, rounds: int = 2) -> None:
    """A few real decisions while recording, so every path the stream takes is in the replay."""
    from civicid.face.challenge import parse_script

    actions, _ = parse_script(CHALLENGE)
    for _ in range(rounds):
        runtime.live_check().assess(inputs.frames, actions=actions, reference=inputs.photo)
    inputs.engine.freeze()


# --- enrolments ---------------------------------------------------------------------------------

def enrolments(runtime, inputs: FaceInputs, *, first_index: int, count: int, max_seconds: float) -> dict:
    """Registry persons ``first_index``.. (never loaded), each enrolled once: start, frames,
    decision, committed citizen."""
    from civicid.enrolment.service import EnrolmentService, decide_session

    people = [person(first_index + j, seed=SEED) for j in range(count)]
    add_registry_people(runtime, people, inputs.photo)  # not timed: the registry is another system
    times, face_ms, outcomes = [], [], {}
    misses_before = inputs.engine.misses
    deadline = time.perf_counter() + max_seconds
    load_before = os.getloadavg()
    started_all = time.perf_counter()
    for j, someone in enumerate(people):
        if time.perf_counter() > deadline:
            break
        client = f"scale-bench-{j}"
        started = time.perf_counter()
        with runtime.transaction() as session:
            opened = EnrolmentService(runtime, session).start(id_number=someone.id_number, name=someone.name,
                                                              client=client)
        decision = decide_session(runtime, EnrolmentService, opened.session_id, inputs.frames, client=client)
        times.append((time.perf_counter() - started) * 1000)
        if decision.assessment is not None:
            face_ms.append(sum(decision.assessment.timings_ms.values()))
        outcomes[decision.decision] = outcomes.get(decision.decision, 0) + 1
    elapsed = time.perf_counter() - started_all
    database_ms = [t - f for t, f in zip(times, face_ms)] if len(face_ms) == len(times) else []
    return {"path": "EnrolmentService.start + decide_session (3 units of work), in process, one at a time; "
                    "face engine = replay of the service engine (bench/scale/faces.py), CIVICID_FACE_PAD=off",
            "frames_per_enrolment": len(inputs.frames), "outcomes": outcomes,
            "per_second": round(outcomes.get("enrolled", 0) / elapsed, 2), "seconds": round(elapsed, 2),
            "replay_misses": inputs.engine.misses - misses_before, "loadavg_1m": [load_before[0], os.getloadavg()[0]],
            **latency(times),
            "face_pipeline_ms": latency(face_ms) if face_ms else None,
            "rest_ms": latency(database_ms) if database_ms else None,
            "rest": "wall time minus the assessment's stage timings (decoding, quality, liveness, match "
                    "with the replayed engine): the three units of work, the registry and the log"}


# --- partner verifications ---------------------------------------------------------------------

def verifications(runtime, inputs: FaceInputs, citizens: int, *, count: int, max_seconds: float) -> dict:
    """Loaded citizens (with a registry person added for each) verified by one partner: the API's
    two requests (challenge, verification) through the service layer, each authenticated."""
    from civicid.partners.service import PartnerService
    from civicid.partners.verification import authenticate, verify

    rng = random.Random(SAMPLE_SEED + 1)
    people = [person(rng.randrange(citizens), seed=SEED) for _ in range(count)]
    people = list({p.index: p for p in people}.values())
    add_registry_people(runtime, people, inputs.photo)
    with runtime.transaction() as session:
        partner = PartnerService(runtime, session).register("Scale bench telecom")
    times, outcomes = [], {}
    misses_before = inputs.engine.misses
    deadline = time.perf_counter() + max_seconds
    started_all = time.perf_counter()
    for someone in people:
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        partner_id = authenticate(runtime, client_id=partner.client_id, secret=partner.secret)
        with runtime.transaction() as session:
            service = PartnerService(runtime, session)
            challenge_id, _ = service.new_challenge(service.active_partner(partner_id))
        partner_id = authenticate(runtime, client_id=partner.client_id, secret=partner.secret)
        result = verify(runtime, partner_id=partner_id, challenge_id=challenge_id, id_number=someone.id_number,
                        name=someone.name, frames=inputs.frames)
        times.append((time.perf_counter() - started) * 1000)
        outcomes[result.result] = outcomes.get(result.result, 0) + 1
    elapsed = time.perf_counter() - started_all
    return {"path": "civicid.partners.verification (authenticate, PartnerService.new_challenge, verify) in "
                    "process, one at a time; same replayed face engine, CIVICID_FACE_PAD=off",
            "outcomes": outcomes, "per_second": round(outcomes.get("match", 0) / elapsed, 2),
            "loadavg_1m_end": os.getloadavg()[0],
            "seconds": round(elapsed, 2), "replay_misses": inputs.engine.misses - misses_before, **latency(times)}


# --- passkey sign-ins over HTTP ----------------------------------------------------------------

@dataclass
class SignInTarget:
    label: str
    server: object  # tests.e2e.live_server.LiveServer
    members: list


def register_passkeys(runtime, citizen_ids: list[str], origin: str) -> list:
    """A real passkey for each citizen, registered through ``PasskeyService`` with the software
    authenticator (tests/support/softauthn.py)."""
    from bench.oidc_bench import Member
    from civicid.identity.passkeys import PasskeyService
    from civicid.identity.service import CitizenService
    from tests.support.softauthn import SoftAuthenticator

    members = []
    with runtime.transaction() as session:
        passkeys = PasskeyService.from_runtime(runtime, session)
        citizens = CitizenService(session, runtime.vault(session), runtime.clock)
        for citizen_id in citizen_ids:
            authenticator = SoftAuthenticator(origin=origin)
            options = passkeys.registration_options(citizen_id, user_name=citizens.get(citizen_id).network_id)
            passkeys.verify_registration(options.ceremony_id, authenticator.create(options.public_key),
                                         citizen_id=citizen_id)
            members.append(Member(authenticator, citizen_id))
    return members


def signin_target(label: str, url: str, home: Path, *, citizen_ids: list[str] | None, count: int,
                  workers: int = 2) -> SignInTarget:
    """A server on ``url``; its members are ``citizen_ids`` (loaded ones) or ``count`` new citizens."""
    from civicid.identity.service import CitizenService
    from tests.e2e.live_server import LiveServer, free_port

    server = LiveServer(home=home, port=free_port(), database_url=url, workers=workers)
    runtime = make_runtime(server.settings())
    try:
        if citizen_ids is None:
            citizen_ids = []
            with runtime.transaction() as session:
                service = CitizenService(session, runtime.vault(session), runtime.clock)
                for j in range(count):
                    citizen_ids.append(service.create(person(j, seed=SEED).record(), verification="face-liveness").id)
        members = register_passkeys(runtime, citizen_ids, server.url)
    finally:
        runtime.close()
    return SignInTarget(label, server, members)


async def _signins(target: SignInTarget, *, total: int, concurrency: int, max_seconds: float) -> dict:
    from bench.oidc_bench import HttpClient

    async def one(member) -> float:
        started = time.perf_counter()
        async with HttpClient(target.server.url) as browser:
            response = await browser.post("/api/v1/signin/options")
            if response.status_code != 200:
                raise RuntimeError(f"signin/options {response.status_code} {response.text[:200]}")
            options = response.json()
            assertion = member.authenticator.get(options["publicKey"])
            response = await browser.post("/api/v1/signin/verify",
                                          json={"ceremony_id": options["ceremony_id"], "credential": assertion})
            if response.status_code != 200:
                raise RuntimeError(f"signin/verify {response.status_code} {response.text[:200]}")
        return (time.perf_counter() - started) * 1000

    times: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + max_seconds

    async def worker(index: int) -> None:
        members = target.members[index::concurrency]
        turn = 0
        while len(times) + sum(errors.values()) < total and time.perf_counter() < deadline:
            try:
                times.append(await one(members[turn % len(members)]))
            except RuntimeError as error:
                key = str(error)[:60]
                errors[key] = errors.get(key, 0) + 1
            turn += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"count": len(times), "seconds": elapsed, "errors": errors, "times": times}


def signins(targets: list[SignInTarget], *, total: int, concurrency: int, max_seconds: float,
            rounds: int = 2) -> dict:
    """Alternate the targets, ``rounds`` times each, so that load from elsewhere on the machine
    falls on both alike; a short warm-up per server first."""
    results = {t.label: {"count": 0, "seconds": 0.0, "errors": {}, "times": [], "rounds": []} for t in targets}
    for target in targets:
        target.server.start(timeout_s=180.0)
    try:
        for target in targets:
            asyncio.run(_signins(target, total=min(100, total // 2), concurrency=concurrency, max_seconds=max_seconds))
        for _ in range(rounds):
            for target in targets:
                from bench.oidc_bench import process_cpu_s

                server_before = process_cpu_s(target.server.process.pid) or 0.0
                pg_before, client_before = backends_cpu_s(target.server.database_url), time.process_time()
                part = asyncio.run(_signins(target, total=total // rounds, concurrency=concurrency,
                                            max_seconds=max_seconds / rounds))
                into = results[target.label]
                into.setdefault("cpu", [0.0, 0.0, 0.0])
                into["cpu"][0] += (process_cpu_s(target.server.process.pid) or 0.0) - server_before
                into["cpu"][1] += backends_cpu_s(target.server.database_url) - pg_before
                into["cpu"][2] += time.process_time() - client_before
                into["count"] += part["count"]
                into["seconds"] += part["seconds"]
                into["times"] += part["times"]
                into["rounds"].append(round(part["count"] / part["seconds"], 1))
                for key, n in part["errors"].items():
                    into["errors"][key] = into["errors"].get(key, 0) + n
    finally:
        for target in targets:
            target.server.stop()
    out = {}
    for label, r in results.items():
        out[label] = {"per_second": round(r["count"] / r["seconds"], 1) if r["seconds"] else 0.0,
                      "loadavg_1m_end": os.getloadavg()[0],
                      "per_second_rounds": r["rounds"], "failed": sum(r["errors"].values()), "errors": r["errors"],
                      "cpu_ms_per_signin": {name: round(v * 1000 / r["count"], 2) for name, v in zip(
                          ("server", "postgresql", "load_generator"), r.get("cpu", (0, 0, 0)))} if r["count"] else None,
                      **(latency(r["times"]) if r["times"] else {})}
    return out


# --- everything ---------------------------------------------------------------------------------

def measure(args) -> dict:
    url, home = args.database_url, args.home
    citizens = loaded_citizens(url)
    if citizens != args.citizens:
        raise SystemExit(f"{citizens} citizens are loaded, --citizens says {args.citizens}: run the load first")
    with psycopg.connect(libpq_url(url)) as conn:
        dropped = conn.execute("SELECT 1 FROM scale_bench_meta WHERE key = 'dropped_ddl'").fetchone()
        signature = catalog_signature(conn)
    if dropped:
        raise SystemExit("the indexes are not rebuilt yet: run the load phase to its end")
    out: dict = {"citizens": citizens, "schema": {"indexes_and_constraints": signature}}
    out["size"] = sizes(url, citizens)
    out["bytes_per_citizen"] = out["size"]["bytes_per_citizen"]
    out["load_curve"] = load_curve(url)

    settings = make_settings(home, url)
    inputs = face_inputs(settings)
    runtime = make_runtime(settings, inputs.engine)
    try:
        print_step("lookups")
        out["lookup"] = lookups(runtime, citizens, count=args.lookups)
        out["lookup_p50_ms"], out["lookup_p99_ms"] = out["lookup"]["p50_ms"], out["lookup"]["p99_ms"]
        out["lookup_sql_only"] = sql_lookups(runtime, citizens, count=args.lookups)
        print_step("enrolments")
        warm_replay(runtime, inputs)
        out["enrolment"] = enrolments(runtime, inputs, first_index=citizens + _enrolled_before(url),
                                      count=args.enrolments, max_seconds=args.max_seconds)
        out["enrolments_per_s"] = out["enrolment"]["per_second"]
        print_step("partner verifications")
        out["verification"] = verifications(runtime, inputs, citizens, count=args.verifications,
                                            max_seconds=args.max_seconds)
        out["verifications_per_s"] = out["verification"]["per_second"]
        rng = random.Random(SAMPLE_SEED + 2)
        from civicid.identity.service import CitizenService

        with runtime.transaction() as session:
            service = CitizenService(session, runtime.vault(session), runtime.clock)
            sample = {rng.randrange(citizens) for _ in range(args.signin_citizens)}
            citizen_ids = [service.find_by_id_number(person(i, seed=SEED).id_number).id for i in sorted(sample)]
    finally:
        runtime.close()

    print_step("passkey sign-ins (the loaded database and an empty one)")
    empty_url = str(sa.make_url(url).set(database=sa.make_url(url).database + "_empty").render_as_string(
        hide_password=False))
    empty_home = home.with_name(home.name + "-empty")
    from bench.scale_bench import prepare_database

    prepare_database(empty_url, empty_home, fresh=True)
    with psycopg.connect(libpq_url(empty_url)) as conn:
        out["schema"]["fresh_migration"] = catalog_signature(conn)
    out["schema"]["matches_fresh_migration"] = out["schema"]["fresh_migration"] == signature
    full = signin_target("loaded", url, home, citizen_ids=citizen_ids, count=0)
    empty = signin_target("empty", empty_url, empty_home, citizen_ids=None, count=len(citizen_ids))
    result = signins([full, empty], total=args.signins, concurrency=args.concurrency, max_seconds=args.max_seconds)
    out["signin"] = {"path": "HTTP to civicid serve --workers 2 (uvicorn) on the same machine: POST "
                             "/api/v1/signin/options, software-authenticator assertion (ES256), POST "
                             "/api/v1/signin/verify; a new connection and cookie jar per sign-in (aiohttp); "
                             f"{len(citizen_ids)} citizens with a real passkey on each database",
                     "concurrency": args.concurrency, **result}
    out["signins_per_s"] = result["loaded"]["per_second"]
    out["signins_per_s_empty"] = result["empty"]["per_second"]
    from bench.scale_bench import admin

    admin(empty_url, 'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    shutil.rmtree(empty_home, ignore_errors=True)
    return out


def _enrolled_before(url: str) -> int:
    """Citizens enrolled by earlier measurements on this database: their persons are not reused."""
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("SELECT count(*) FROM registry_persons").fetchone()[0]


def print_step(message: str) -> None:
    from bench.scale_bench import say

    say(message)
