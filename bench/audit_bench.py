"""Transparency-log benchmark: append rate (with Ed25519 signing), proof generation and
verification, and whole-log verification, at growing log sizes on the in-memory store.

    .venv/bin/python bench/audit_bench.py                       # 10k, 100k, 1M entries
    .venv/bin/python bench/audit_bench.py --sizes 1000,10000    # quick run
    .venv/bin/python bench/audit_bench.py --sizes 1000000,10000000   # population scale (~25 min, ~6 GB)

Writes bench/results/audit_bench.json and bench/results/audit_bench.png. Single-threaded; the
key, the clock and the sampled indices are fixed, so runs differ only by machine noise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.merkle import HASH_SIZE, leaf_hash
from civicid.audit.proofs import verify_consistency, verify_inclusion
from civicid.audit.sth import SIGNATURE_SIZE
from civicid.audit.tiles import TILE_HEIGHT, TILE_WIDTH, TileRef, read_entry_bundle, read_tile
from civicid.audit.tree import TransparencyLog
from civicid.audit.verify import verify_log

RESULTS = Path(__file__).parent / "results"
T0 = datetime(2025, 1, 31, tzinfo=timezone.utc)
TAGS = [EventTag.RP_CITIZEN_CLAIMS_RELEASED, EventTag.PARTNER_CITIZEN_VERIFY, EventTag.OFFICIAL_CITIZEN_READ]


def event(i: int) -> LogEvent:
    tag = TAGS[i % 3]
    actor = {"rp": f"rp:client-{i % 97}", "partner": "partner:telco-1", "official": f"official:{i % 13}"}[tag.source]
    purpose = f"case 2025/{i % 1000:04d}" if tag.source == "official" else ""
    return LogEvent(tag, actor, f"c_{i * 2654435761 % 2**32:08x}", purpose, T0 + timedelta(milliseconds=i))


def timed(samples: int, fn: Callable[[int], object]) -> tuple[dict[str, float], list[object]]:
    """Run fn(k) for k in range(samples); microsecond stats and the outputs."""
    durations, outputs = [], []
    for k in range(samples):
        start = time.perf_counter()
        outputs.append(fn(k))
        durations.append((time.perf_counter() - start) * 1e6)
    durations.sort()
    return {
        "mean_us": statistics.fmean(durations),
        "p50_us": durations[len(durations) // 2],
        "p95_us": durations[int(len(durations) * 0.95) - 1 if len(durations) > 1 else 0],
    }, outputs


def bulk_load(store: MemoryLogStore, count: int, progress: Progress, task) -> float:
    """The first ``count`` leaves as hashes and nodes only, their heads left unsigned (zero root and
    signature): a log built this way has the tree of a real one of that size, to measure appends
    and proofs at that size without first signing ``count`` heads. Bench only: it writes the
    store's columns directly. Returns the CPU seconds it took."""
    cpu_start, step = time.process_time(), max(count // 200, 1)
    for i in range(count):
        data = event(i).to_bytes()
        store.nodes.append_leaf(leaf_hash(data))
        store._data.append(data)
        store._timestamps.append(1_738_281_600_000 + i)
        if i % step == step - 1:
            progress.update(task, completed=i + 1)
    store._roots += bytes(HASH_SIZE * count)
    store._signatures += bytes(SIGNATURE_SIZE * count)
    return time.process_time() - cpu_start


def run_size(n: int, samples: int, every_head_max: int, progress: Progress, *, signed_tail: int | None = None) -> dict:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    store = MemoryLogStore()
    clock = iter(range(1_738_281_600_000, 1 << 62))
    log = TransparencyLog(store, key, clock_ms=lambda: next(clock))
    task = progress.add_task(f"append {n:,}", total=n)
    bulk = n - signed_tail if signed_tail else 0
    bulk_cpu_s = bulk_load(store, bulk, progress, task) if bulk else None
    step = max(n // 200, 1)
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(bulk, n):
        log.append(event(i))
        if i % step == step - 1:
            progress.update(task, completed=i + 1)
    append_s, append_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    progress.update(task, completed=n)
    appended = n - bulk

    rng = random.Random(n)
    root = log.root()
    leaves = [rng.randrange(n) for _ in range(samples)]
    firsts = [rng.randrange(1, n) for _ in range(samples)]
    historical = [rng.randrange(1, n + 1) for _ in range(samples)]

    inc_gen, inc_proofs = timed(samples, lambda k: log.inclusion_proof(leaves[k]))
    leaf_hashes = [leaf_hash(store.get_entries(i, i + 1)[0].data) for i in leaves]
    inc_ver, inc_ok = timed(
        samples, lambda k: verify_inclusion(leaf_hashes[k], leaves[k], n, inc_proofs[k].path, root)
    )
    con_gen, con_proofs = timed(samples, lambda k: log.consistency_proof(firsts[k]))
    first_roots = [log.root(m) for m in firsts]
    con_ver, con_ok = timed(
        samples, lambda k: verify_consistency(firsts[k], n, first_roots[k], root, con_proofs[k].path)
    )
    hist_gen, _ = timed(samples, lambda k: log.inclusion_proof(rng.randrange(historical[k]), historical[k]))
    if not (all(inc_ok) and all(con_ok)):
        raise SystemExit("a generated proof did not verify")
    tiles = tile_reads(store, n, samples, rng)

    bisect_s = every_s = bisect = None
    if bulk:  # the bulk-loaded heads are unsigned: verify_log would rightly reject them
        progress.remove_task(task)
        task = None
    else:
        rows = store.get_entries(0, n)
        data = [row.data for row in rows]
        progress.update(task, description=f"verify {n:,} (bisect)")
        start = time.perf_counter()
        bisect = verify_log(data, rows, key.public_key(), check_every_head=False)
        bisect_s = time.perf_counter() - start
    if not bulk and n <= every_head_max:
        progress.update(task, description=f"verify {n:,} (every head)")
        start = time.perf_counter()
        every = verify_log(data, rows, key.public_key())
        every_s = time.perf_counter() - start
        if not every.ok:
            raise SystemExit("verify_log rejected an intact log")
    if bisect is not None and not bisect.ok:
        raise SystemExit("verify_log rejected an intact log")
    if task is not None:
        progress.remove_task(task)
    return {
        "size": n,
        # with --signed-tail: the first size - appended leaves were bulk-loaded (hashes and nodes,
        # heads unsigned, not timed as appends); the rates are those of the last `appended` appends,
        # made through TransparencyLog.append with signing on a tree already that large
        "bulk_loaded": bulk,
        "bulk_load_cpu_s": bulk_cpu_s,
        "appended": appended,
        "append_total_s": append_s,
        "appends_per_s": appended / append_s,
        "append_mean_us": append_s / appended * 1e6,
        # the CPU this process spent: the rate on one free core, whatever else the machine ran
        "append_cpu_s": append_cpu_s,
        "appends_per_cpu_s": appended / append_cpu_s,
        "inclusion_generate": inc_gen,
        "inclusion_verify": inc_ver,
        "inclusion_generate_historical_size": hist_gen,
        "consistency_generate": con_gen,
        "consistency_verify": con_ver,
        "inclusion_path_len_max": max(len(p.path) for p in inc_proofs),
        "consistency_path_len_max": max(len(p.path) for p in con_proofs),
        "tiles": tiles,
        "verify_log_bisect_s": bisect_s,
        "verify_log_bisect_signatures": None if bisect is None else bisect.signatures_checked,
        "verify_log_every_head_s": every_s,
        "max_rss_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def tile_reads(store: MemoryLogStore, n: int, samples: int, rng: random.Random) -> dict:
    """C2SP tlog-tiles reads at every tile level the tree has: a full tile (or the partial one at
    the top), and an entry bundle. A client proves inclusion from one tile per level, so a proof
    costs ``levels`` tile reads: ceil(log2(n) / 8)."""
    levels, out = 0, {}
    while (n >> (TILE_HEIGHT * levels)) > 1:
        levels += 1
    for level in range(levels):
        hashes = n >> (TILE_HEIGHT * level)
        full = hashes // TILE_WIDTH
        if full:
            refs = [TileRef(level, rng.randrange(full)) for _ in range(samples)]
        else:
            refs = [TileRef(level, 0, hashes)] * samples
        stats, blobs = timed(samples, lambda k: read_tile(store, refs[k], tree_size=n))
        out[f"level_{level}"] = {**stats, "width": refs[0].width, "bytes": len(blobs[0])}
    bundles = [TileRef(None, rng.randrange(max(n // TILE_WIDTH, 1)), min(TILE_WIDTH, n)) for _ in range(samples)]
    stats, blobs = timed(samples, lambda k: read_entry_bundle(store, bundles[k], tree_size=n))
    out["entries"] = {**stats, "width": bundles[0].width, "bytes": len(blobs[0])}
    return {"levels": levels, "reads": out}


def sign_rate() -> float:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    start = time.perf_counter()
    for i in range(2000):
        key.sign(i.to_bytes(8, "big") * 8)
    return 2000 / (time.perf_counter() - start)


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    cpu = [(r["size"], r["appends_per_cpu_s"]) for r in results if "appends_per_cpu_s" in r]
    if cpu:
        left.plot(*zip(*cpu), "o-", label="per CPU-second (one free core)")
    left.plot(sizes, [r["appends_per_s"] for r in results], "o--", label="per second of wall clock")
    left.set_xscale("log")
    left.set_ylim(bottom=0)
    left.set_xlabel("log size (entries)")
    left.set_ylabel("appends (incl. Ed25519 signing)")
    left.set_title("Append rate, in-memory store, one process")
    left.legend(fontsize=7)
    for label, key in (
        ("inclusion: generate", "inclusion_generate"),
        ("inclusion: verify", "inclusion_verify"),
        ("inclusion at historical size: generate", "inclusion_generate_historical_size"),
        ("consistency: generate", "consistency_generate"),
        ("consistency: verify", "consistency_verify"),
    ):
        right.plot(sizes, [r[key]["p50_us"] for r in results], "o-", label=label)
    right.set_xscale("log")
    right.set_ylim(bottom=0)
    right.set_xlabel("log size (entries)")
    right.set_ylabel("median time (µs)")
    right.set_title("Proofs: O(log n)")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write(report: dict, out: Path) -> None:
    (out / "audit_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(report["results"], out / "audit_bench.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated log sizes")
    parser.add_argument("--samples", type=int, default=300, help="proofs timed per size")
    parser.add_argument(
        "--every-head-max",
        type=int,
        default=100_000,
        help="largest size at which verify_log also checks every head's signature (~90 µs each)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--signed-tail", type=int, default=None, help=(
        "bulk-load all but the last SIGNED_TAIL leaves of each larger size (hashes only, unsigned heads) and "
        "time only those last appends: appends/s and proofs at 10M without signing 10M heads first"))
    parser.add_argument("--merge", nargs="+", metavar="JSON", help=(
        "merge audit_bench.json files of earlier runs (different sizes) into --out, measuring nothing"))
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] < 2:
        parser.error("sizes must be integers >= 2")

    console = Console(stderr=True, width=130)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.merge:  # runs of different sizes (e.g. run side by side), into one report and plot
        runs = [json.loads(Path(path).read_text()) for path in args.merge]
        results = sorted((r for run in runs for r in run["results"]), key=lambda r: r["size"])
        report = {**runs[0], "merged_from": [str(p) for p in args.merge], "results": results,
                  "total_s": sum(run["total_s"] for run in runs), "partial": any(run.get("partial") for run in runs)}
        total = report["total_s"]
        write(report, args.out)
    else:
        results = []
        started = time.perf_counter()
        report = {
            "benchmark": "civicid.audit",
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "processor": platform.processor(),
                "cpus": os.cpu_count(),
                "load_average_at_start": os.getloadavg(),
            },
            "ed25519_signs_per_s": sign_rate(),
            "sizes": sizes,
            "partial": True,
            "results": results,
        }
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            for n in sizes:
                tail = args.signed_tail if args.signed_tail and n > args.signed_tail else None
                results.append(run_size(n, args.samples, args.every_head_max, progress, signed_tail=tail))
                report["total_s"] = time.perf_counter() - started
                report["partial"] = n != sizes[-1]
                report["machine"]["load_average_now"] = os.getloadavg()
                write(report, args.out)  # after every size: a run stopped early keeps what it measured
        total = report["total_s"]

    table = Table(title=f"civicid.audit bench ({total:.0f} s total)")
    for column in ("entries", "appends/s", "appends/CPU-s", "append total", "incl gen p50", "incl ver p50", "cons gen p50",
                   "cons ver p50", "tile levels", "tile read p50", "verify bisect", "verify every head"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            f"{r['size']:,}",
            f"{r['appends_per_s']:,.0f}",
            f"{r['appends_per_cpu_s']:,.0f}" if "appends_per_cpu_s" in r else "-",
            f"{r['append_total_s']:.1f} s",
            f"{r['inclusion_generate']['p50_us']:.0f} µs",
            f"{r['inclusion_verify']['p50_us']:.0f} µs",
            f"{r['consistency_generate']['p50_us']:.0f} µs",
            f"{r['consistency_verify']['p50_us']:.0f} µs",
            str(r["tiles"]["levels"]),
            f"{r['tiles']['reads']['level_0']['p50_us']:.0f} µs",
            "-" if r["verify_log_bisect_s"] is None else f"{r['verify_log_bisect_s']:.1f} s",
            "-" if r["verify_log_every_head_s"] is None else f"{r['verify_log_every_head_s']:.1f} s",
        )
    console.print(table)
    console.print(f"wrote {args.out / 'audit_bench.json'} and {args.out / 'audit_bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
