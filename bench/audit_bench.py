"""Transparency-log benchmark: append rate (with Ed25519 signing), proof generation and
verification, and whole-log verification, at growing log sizes on the in-memory store.

    .venv/bin/python bench/audit_bench.py                       # 10k, 100k, 1M entries
    .venv/bin/python bench/audit_bench.py --sizes 1000,10000    # quick run

Writes bench/results/audit_bench.json and bench/results/audit_bench.png. Single-threaded; the
key, the clock and the sampled indices are fixed, so runs differ only by machine noise.
"""

from __future__ import annotations

import argparse
import json
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
from civicid.audit.merkle import leaf_hash
from civicid.audit.proofs import verify_consistency, verify_inclusion
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


def run_size(n: int, samples: int, every_head_max: int, progress: Progress) -> dict:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    store = MemoryLogStore()
    clock = iter(range(1_738_281_600_000, 1 << 62))
    log = TransparencyLog(store, key, clock_ms=lambda: next(clock))
    task = progress.add_task(f"append {n:,}", total=n)
    step = max(n // 200, 1)
    start = time.perf_counter()
    for i in range(n):
        log.append(event(i))
        if i % step == step - 1:
            progress.update(task, completed=i + 1)
    append_s = time.perf_counter() - start
    progress.update(task, completed=n)

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

    rows = store.get_entries(0, n)
    data = [row.data for row in rows]
    progress.update(task, description=f"verify {n:,} (bisect)")
    start = time.perf_counter()
    bisect = verify_log(data, rows, key.public_key(), check_every_head=False)
    bisect_s = time.perf_counter() - start
    every_s = None
    if n <= every_head_max:
        progress.update(task, description=f"verify {n:,} (every head)")
        start = time.perf_counter()
        every = verify_log(data, rows, key.public_key())
        every_s = time.perf_counter() - start
        if not every.ok:
            raise SystemExit("verify_log rejected an intact log")
    if not bisect.ok:
        raise SystemExit("verify_log rejected an intact log")
    progress.remove_task(task)
    return {
        "size": n,
        "append_total_s": append_s,
        "appends_per_s": n / append_s,
        "append_mean_us": append_s / n * 1e6,
        "inclusion_generate": inc_gen,
        "inclusion_verify": inc_ver,
        "inclusion_generate_historical_size": hist_gen,
        "consistency_generate": con_gen,
        "consistency_verify": con_ver,
        "inclusion_path_len_max": max(len(p.path) for p in inc_proofs),
        "consistency_path_len_max": max(len(p.path) for p in con_proofs),
        "verify_log_bisect_s": bisect_s,
        "verify_log_bisect_signatures": bisect.signatures_checked,
        "verify_log_every_head_s": every_s,
        "max_rss_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


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
    left.plot(sizes, [r["appends_per_s"] for r in results], "o-")
    left.set_xscale("log")
    left.set_ylim(bottom=0)
    left.set_xlabel("log size (entries)")
    left.set_ylabel("appends / s (incl. Ed25519 signing)")
    left.set_title("Append rate, in-memory store, 1 core")
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
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] < 2:
        parser.error("sizes must be integers >= 2")

    console = Console(stderr=True, width=130)
    results = []
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        for n in sizes:
            results.append(run_size(n, args.samples, args.every_head_max, progress))
    total = time.perf_counter() - started

    report = {
        "benchmark": "civicid.audit",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "processor": platform.processor(),
        },
        "ed25519_signs_per_s": sign_rate(),
        "total_s": total,
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "audit_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(results, args.out / "audit_bench.png")

    table = Table(title=f"civicid.audit bench ({total:.0f} s total)")
    for column in ("entries", "appends/s", "append total", "incl gen p50", "incl ver p50", "cons gen p50",
                   "cons ver p50", "verify bisect", "verify every head"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            f"{r['size']:,}",
            f"{r['appends_per_s']:,.0f}",
            f"{r['append_total_s']:.1f} s",
            f"{r['inclusion_generate']['p50_us']:.0f} µs",
            f"{r['inclusion_verify']['p50_us']:.0f} µs",
            f"{r['consistency_generate']['p50_us']:.0f} µs",
            f"{r['consistency_verify']['p50_us']:.0f} µs",
            f"{r['verify_log_bisect_s']:.1f} s",
            "-" if r["verify_log_every_head_s"] is None else f"{r['verify_log_every_head_s']:.1f} s",
        )
    console.print(table)
    console.print(f"wrote {args.out / 'audit_bench.json'} and {args.out / 'audit_bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
