"""The transparency log on PostgreSQL at population scale: proofs, C2SP tiles and signed appends on
the production store (``SqlLogStore``), with the log already ``--size`` entries long.

    .venv/bin/python bench/audit_pg_bench.py --size 10000000      # ~30 min on 2 cores, ~6 GB of disk
    .venv/bin/python bench/audit_pg_bench.py --size 100000        # quick run

The log is bulk-loaded, not appended: the leaves (the events of bench/audit_bench.py) and every
perfect-subtree hash are computed in one pass and streamed with COPY into ``audit_entries`` and
``audit_nodes`` of a freshly migrated database (``civicid_audit_pg_bench`` at
CIVICID_BENCH_POSTGRES_URL, default postgres@127.0.0.1:5432; dropped afterwards unless --keep);
the lookup indexes are built after the load, as a restore would. The bulk-loaded heads are left
unsigned (zero root and signature): nothing timed here reads them. Then, on that database:

* inclusion and consistency proofs (``TransparencyLog`` over ``SqlLogStore``: one query of the
  O(log n) nodes each), checked against the root;
* tile reads (``tiles.read_tile``: one query of up to 256 nodes) at every level, and entry bundles;
* ``--appends`` signed appends, each in its own transaction (read the right edge, hash, sign,
  insert the entry and the nodes it completes), then as many in batches of the sequencer's
  ``SEQUENCE_BATCH`` per transaction, as it moves the outbox.

Writes bench/results/audit_pg_bench.json. Times are wall-clock per operation, client and server on
the same two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audit_bench import event  # noqa: E402
from civicid.audit.merkle import leaf_hash, node_hash  # noqa: E402
from civicid.audit.proofs import verify_consistency, verify_inclusion  # noqa: E402
from civicid.audit.service import SEQUENCE_BATCH  # noqa: E402
from civicid.audit.sql_store import SqlLogStore  # noqa: E402
from civicid.audit.tiles import TILE_HEIGHT, TILE_WIDTH, TileRef, read_entry_bundle, read_tile  # noqa: E402
from civicid.audit.tree import TransparencyLog  # noqa: E402
from civicid.db import make_engine, make_session_factory  # noqa: E402
from civicid.migrate import upgrade  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/civicid_audit_pg_bench"
LOOKUP_INDEXES = ("ix_audit_entries_citizen_ref", "ix_audit_entries_tag")


def log(message: str) -> None:
    print(f"[audit-pg {time.strftime('%H:%M:%S')}] {message}", flush=True)


def admin(url: sa.URL, *statements: str) -> None:
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def stats(durations_us: list[float]) -> dict[str, float]:
    ordered = sorted(durations_us)
    return {"p50_us": ordered[len(ordered) // 2], "p95_us": ordered[max(0, int(len(ordered) * 0.95) - 1)],
            "mean_us": statistics.fmean(ordered)}


def timed(samples: int, fn) -> tuple[dict[str, float], list]:
    durations, outputs = [], []
    for k in range(samples):
        start = time.perf_counter()
        outputs.append(fn(k))
        durations.append((time.perf_counter() - start) * 1e6)
    return stats(durations), outputs


def bulk_load(engine, n: int) -> dict:
    """Stream the first n leaves and their nodes into the tables with COPY (two connections)."""
    raw_entries, raw_nodes = engine.raw_connection(), engine.raw_connection()
    zero_root, zero_sig = bytes(32), bytes(64)
    right: list[bytes] = []  # the right edge: the perfect subtrees' roots, biggest first
    started, cpu = time.perf_counter(), time.process_time()
    step = max(n // 20, 1)
    try:
        with raw_entries.cursor() as ce, raw_nodes.cursor() as cn:
            with ce.copy("COPY audit_entries (idx, data, timestamp_ms, root_hash, signature) FROM STDIN") as entries, \
                    cn.copy("COPY audit_nodes (level, idx, hash) FROM STDIN") as nodes:
                for i in range(n):
                    data = event(i).to_bytes()
                    entries.write_row((i, data, 1_738_281_600_000 + i, zero_root, zero_sig))
                    digest = leaf_hash(data)
                    nodes.write_row((0, i, digest))
                    level, index = 0, i
                    while index & 1:
                        digest = node_hash(right.pop(), digest)
                        level, index = level + 1, index >> 1
                        nodes.write_row((level, index, digest))
                    right.append(digest)
                    if i % step == step - 1:
                        log(f"  loaded {i + 1:,} of {n:,} ({time.perf_counter() - started:.0f} s)")
        raw_entries.commit()
        raw_nodes.commit()
    finally:
        raw_entries.close()
        raw_nodes.close()
    return {"wall_s": time.perf_counter() - started, "client_cpu_s": time.process_time() - cpu}


def tiles(store: SqlLogStore, n: int, samples: int, rng: random.Random) -> dict:
    out, level = {}, 0
    while (n >> (TILE_HEIGHT * level)) > 1:
        hashes = n >> (TILE_HEIGHT * level)
        full = hashes // TILE_WIDTH
        refs = [TileRef(level, rng.randrange(full)) for _ in range(samples)] if full else \
            [TileRef(level, 0, hashes)] * samples
        timing, blobs = timed(samples, lambda k: read_tile(store, refs[k], tree_size=n))
        out[f"level_{level}"] = {**timing, "width": refs[0].width, "bytes": len(blobs[0])}
        level += 1
    bundles = [TileRef(None, rng.randrange(max(n // TILE_WIDTH, 1)), min(TILE_WIDTH, n)) for _ in range(samples)]
    timing, blobs = timed(samples, lambda k: read_entry_bundle(store, bundles[k], tree_size=n))
    out["entries"] = {**timing, "width": bundles[0].width, "bytes": len(blobs[0])}
    return {"levels": level, "reads": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--out", type=Path, default=RESULTS / "audit_pg_bench.json")
    args = parser.parse_args()
    n = args.size
    url = sa.make_url(os.environ.get("CIVICID_BENCH_POSTGRES_URL", DEFAULT_URL))
    admin(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)', f'CREATE DATABASE "{url.database}"')
    engine = make_engine(url.render_as_string(hide_password=False))
    report: dict = {"benchmark": "civicid.audit on PostgreSQL", "size": n,
                    "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "load_average_at_start": os.getloadavg()}}
    try:
        upgrade(engine)
        with engine.begin() as conn:
            report["machine"]["postgresql"] = conn.execute(sa.text("SHOW server_version")).scalar_one()
            for index in LOOKUP_INDEXES:
                conn.execute(sa.text(f"DROP INDEX {index}"))
        log(f"bulk-loading {n:,} entries and their nodes")
        report["bulk_load"] = bulk_load(engine, n)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE INDEX ix_audit_entries_citizen_ref ON audit_entries (citizen_ref)"))
            conn.execute(sa.text("CREATE INDEX ix_audit_entries_tag ON audit_entries (tag)"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE audit_entries"))
            conn.execute(sa.text("ANALYZE audit_nodes"))
            report["database_bytes"] = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
        report["index_and_analyze_s"] = time.perf_counter() - started
        log(f"loaded in {report['bulk_load']['wall_s']:.0f} s, indexed in {report['index_and_analyze_s']:.0f} s, "
            f"{report['database_bytes'] / 1e9:.1f} GB")

        sessions = make_session_factory(engine)
        key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
        rng = random.Random(n)
        with sessions() as session:
            store = SqlLogStore(session)
            tree = TransparencyLog(store, key)
            assert tree.size() == n
            root = tree.root()
            leaves = [rng.randrange(n) for _ in range(args.samples)]
            firsts = [rng.randrange(1, n) for _ in range(args.samples)]
            inclusion, proofs = timed(args.samples, lambda k: tree.inclusion_proof(leaves[k]))
            datas = {e.index: bytes(e.data) for i in leaves for e in store.get_entries(i, i + 1)}
            consistency, cproofs = timed(args.samples, lambda k: tree.consistency_proof(firsts[k]))
            firsts_roots = [tree.root(m) for m in firsts]
            ok = all(verify_inclusion(leaf_hash(datas[leaves[k]]), leaves[k], n, proofs[k].path, root)
                     for k in range(args.samples))
            ok = ok and all(verify_consistency(firsts[k], n, firsts_roots[k], root, cproofs[k].path)
                            for k in range(args.samples))
            if not ok:
                raise SystemExit("a proof from the PostgreSQL store did not verify")
            root_timing, _ = timed(args.samples, lambda k: tree.root(rng.randrange(1, n + 1)))
            report.update({"inclusion_generate": inclusion, "consistency_generate": consistency,
                           "root_at_any_size": root_timing, "proofs_verified": True,
                           "inclusion_path_len_max": max(len(p.path) for p in proofs),
                           "tiles": tiles(store, n, args.samples, rng)})
        log(f"proofs: inclusion p50 {report['inclusion_generate']['p50_us']:.0f} µs, consistency p50 "
            f"{report['consistency_generate']['p50_us']:.0f} µs, level-0 tile p50 "
            f"{report['tiles']['reads']['level_0']['p50_us']:.0f} µs")

        durations = []
        started = time.perf_counter()
        for i in range(n, n + args.appends):
            t0 = time.perf_counter()
            with sessions() as session, session.begin():
                TransparencyLog(SqlLogStore(session), key).append(event(i))
            durations.append((time.perf_counter() - t0) * 1e6)
        wall = time.perf_counter() - started
        report["appends"] = {"count": args.appends, "wall_s": wall, "appends_per_s": args.appends / wall,
                             **stats(durations)}
        with sessions() as session:
            final = TransparencyLog(SqlLogStore(session), key)
            report["appends"]["size_after"] = final.size()
            report["appends"]["gap_free"] = session.execute(sa.text(
                "SELECT count(*) = max(idx) + 1 FROM audit_entries")).scalar_one()
        batches, size = max(args.appends // SEQUENCE_BATCH, 1), SEQUENCE_BATCH
        durations, first = [], n + args.appends
        started = time.perf_counter()
        for b in range(batches):  # as the sequencer moves the outbox: one transaction per batch
            t0 = time.perf_counter()
            with sessions() as session, session.begin():
                TransparencyLog(SqlLogStore(session), key).append_leaves(
                    [event(i).to_bytes() for i in range(first + b * size, first + (b + 1) * size)])
            durations.append((time.perf_counter() - t0) * 1e6)
        wall = time.perf_counter() - started
        report["batched_appends"] = {"batch": size, "batches": batches, "wall_s": wall,
                                     "appends_per_s": batches * size / wall, **stats(durations)}
        with sessions() as session:
            report["batched_appends"]["gap_free"] = session.execute(sa.text(
                "SELECT count(*) = max(idx) + 1 FROM audit_entries")).scalar_one()
        log(f"appends: {report['appends']['appends_per_s']:.0f}/s one per transaction (p50 "
            f"{report['appends']['p50_us'] / 1000:.1f} ms), {report['batched_appends']['appends_per_s']:.0f}/s "
            f"in batches of {size}")
        report["machine"]["load_average_at_end"] = os.getloadavg()
    finally:
        engine.dispose()
        if not args.keep:
            admin(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
