"""CivicID at 10 million citizens: load rate, bytes per citizen, and the hot paths at that size.

Run: .venv/bin/python bench/scale_bench.py [--citizens 10000000] [--database-url URL] [--fresh]
                                           [--phase all|load|measure] [--name scale_10m]
Writes bench/results/<name>.json and <name>.png (default name: scale_<citizens>; --out for another
directory).

Load (issue 15): citizens 0..N-1 of a seeded synthetic population (bench/scale/population.py) get
the rows ``CitizenService.create`` writes, made by the same vault functions — a data key per
citizen from the key provider (a LocalKeyProvider in ``--home``), wrapped under its KEK; ID number,
name and birth date sealed with AES-256-GCM under it; the blind index of the ID number — plus one
synthetic passkey row each (bench/scale/load.py says what is in it), written with COPY in batches
of ``--batch-size``, one transaction per batch with a progress row, by ``--workers`` processes
(bench/scale/load.py). A killed load resumes at the next batch: run the same command again. The
indexes are dropped during the load and rebuilt after it as the migrations define them (checked).

Measured at that size, on the same database, through the service's code:

- bytes per citizen: ``pg_total_relation_size`` (table, TOAST, indexes) of citizens, data_keys and
  passkeys over the citizen count (and without the passkeys);
- lookup by ID number: ``CitizenService.find_by_id_number`` (the blind index) in a unit of work of
  its own (``Runtime.transaction``), for ``--lookups`` random loaded citizens; each must be found,
  and a sample is decrypted and compared; the CPU each costs (this process and the database's
  backends, from /proc); and the same lookup's one statement alone (prepared, no ORM);
- enrolment commits/s: the whole enrolment (start, frames, decision, citizen committed) through
  ``EnrolmentService`` / ``decide_session`` for new registry persons, with the face engine
  replaced by a replay of the real engine's answers on the same frames (bench/scale/faces.py) —
  the engine boundary is the only thing stubbed; decoding, quality, liveness, matching and every
  database write are real. The presentation-attack model is switched off by its setting
  (CIVICID_FACE_PAD=off), as it is face work too;
- partner verifications/s: ``civicid.partners.verification.verify`` (the service layer the API
  route calls; challenge, rate limits, registry, the same stubbed engine, the record and the log);
- complete passkey sign-ins/s over HTTP against ``civicid serve`` (2 uvicorn workers) on that
  database: POST /api/v1/signin/options → software authenticator assertion → POST
  /api/v1/signin/verify, for citizens whose passkeys were registered through ``PasskeyService`` just
  before; and the same on an empty database (``<database>_empty``) in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for bench.scale and tests.support

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.progress import TimeRemainingColumn  # noqa: E402

OUT = ROOT / "bench" / "results"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/civicid_scale"
SEED = 15
TARGET_LOOKUP_P99_MS = 5.0
TARGET_BYTES_PER_CITIZEN = 2048
TARGET_SIGNIN_RATIO = 0.9
console = Console(stderr=True)


def say(message: str) -> None:
    console.log(message)


def admin(url: str, *statements: str) -> None:
    import sqlalchemy as sa

    base = sa.make_url(url)
    engine = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement.format(db=base.database)))
    engine.dispose()


def database_exists(url: str) -> bool:
    import sqlalchemy as sa

    base = sa.make_url(url)
    engine = sa.create_engine(base.set(database="postgres"))
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": base.database}).first()
    engine.dispose()
    return found is not None


def prepare_database(url: str, home: Path, *, fresh: bool) -> None:
    """Create (or with ``fresh`` recreate) the database and the key home, then migrate."""
    import shutil

    from civicid.db import make_engine
    from civicid.migrate import upgrade

    if fresh:
        admin(url, 'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)
    if not database_exists(url):
        admin(url, 'CREATE DATABASE "{db}"')
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def progress_bar(progress: Progress):
    def factory(total: int, done: int):
        task = progress.add_task("citizens", total=total, completed=done)
        state = {"done": done, "logged": done, "started": time.perf_counter(), "first": done}

        def advance(count: int) -> None:
            progress.advance(task, count)
            state["done"] += count
            if not console.is_terminal and state["done"] - state["logged"] >= max(total // 50, 1):
                rate = (state["done"] - state["first"]) / (time.perf_counter() - state["started"])
                say(f"loaded {state['done']:,} of {total:,} citizens ({rate:,.0f}/s this run)")
                state["logged"] = state["done"]

        return advance

    return factory


def run_load(args) -> dict:
    from bench.scale.load import load

    prepare_database(args.database_url, args.home, fresh=args.fresh)
    columns = (TextColumn("[bold]loading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.speed} /s"),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=args.no_progress) as progress:
        report = load(args.database_url, args.home, citizens=args.citizens, batch_size=args.batch_size,
                      seed=SEED, workers=args.workers, progress_factory=progress_bar(progress), say=say)
    return report.to_json()


def machine() -> dict:
    import psycopg

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "psycopg": psycopg.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=10_000_000, help="citizens to load (resumes)")
    parser.add_argument("--database-url", default=os.environ.get("CIVICID_SCALE_DATABASE_URL", DEFAULT_URL),
                        help="PostgreSQL database of the bench (created if missing)")
    parser.add_argument("--home", type=Path, default=None,
                        help="CIVICID_HOME holding the keyring (default /tmp/civicid-scale-<database>)")
    parser.add_argument("--fresh", action="store_true", help="drop the database and the keyring first")
    parser.add_argument("--phase", choices=("all", "load", "measure"), default="all")
    parser.add_argument("--batch-size", type=int, default=10_000, help="citizens per COPY transaction")
    parser.add_argument("--workers", type=int, default=2, help="loading processes (encryption + COPY)")
    parser.add_argument("--lookups", type=int, default=10_000, help="random lookups by ID number")
    parser.add_argument("--enrolments", type=int, default=200, help="enrolments to commit")
    parser.add_argument("--verifications", type=int, default=300, help="partner verifications")
    parser.add_argument("--signins", type=int, default=1500, help="complete passkey sign-ins (each database)")
    parser.add_argument("--signin-citizens", type=int, default=200, help="citizens given a real passkey")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent sign-in clients")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time limit of each timed phase")
    parser.add_argument("--name", default=None, help="results file name (default scale_<citizens>)")
    parser.add_argument("--out", type=Path, default=OUT, help="directory of the JSON and the plot")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    args = parser.parse_args()
    import sqlalchemy as sa

    database = sa.make_url(args.database_url).database
    args.home = args.home or Path(f"/tmp/civicid-scale-{database}")
    name = args.name or f"scale_{args.citizens}"
    result: dict = {"machine": machine(), "config": {
        "citizens": args.citizens, "database": database, "batch_size": args.batch_size, "workers": args.workers,
        "seed": SEED, "lookups": args.lookups, "enrolments": args.enrolments,
        "verifications": args.verifications, "signins": args.signins, "concurrency": args.concurrency,
        "signin_citizens": args.signin_citizens, "max_seconds": args.max_seconds}}
    started = time.perf_counter()
    if args.phase == "measure":
        from bench.scale.measure import loaded_citizens

        if not database_exists(args.database_url) or loaded_citizens(args.database_url) != args.citizens:
            raise SystemExit(f"{args.database_url} does not hold {args.citizens} loaded citizens: load first")
    result["load"] = run_load(args)  # resumes; with every batch in, it only reports the load
    say(f"load: {json.dumps(result['load'])}")
    if args.phase == "load":
        print(json.dumps(result, indent=2))
        return
    from bench.scale.measure import measure

    result.update(measure(args))
    result["load_citizens_per_s"] = result["load"]["citizens_per_s"]
    signin_ratio = result["signins_per_s"] / result["signins_per_s_empty"] if result["signins_per_s_empty"] else None
    result["targets"] = {
        "lookup_p99_ms": TARGET_LOOKUP_P99_MS, "lookup_p99_met": result["lookup_p99_ms"] < TARGET_LOOKUP_P99_MS,
        "bytes_per_citizen": TARGET_BYTES_PER_CITIZEN,
        "bytes_per_citizen_met": result["bytes_per_citizen"] <= TARGET_BYTES_PER_CITIZEN,
        "signins_ratio_to_empty": round(signin_ratio, 3) if signin_ratio else None,
        "signins_within_10_percent_met": signin_ratio is not None and signin_ratio >= TARGET_SIGNIN_RATIO}
    result["bench_wall_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_plot:
        from bench.scale.report import plot

        plot(result, args.out / f"{name}.png")
    latencies = result["lookup"].pop("latencies_ms")
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    result["lookup"]["latencies_ms"] = f"{len(latencies)} values"
    result["load_curve"] = f"{len(result['load_curve'])} points"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
