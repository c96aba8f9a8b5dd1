"""The plot of a scale bench result: load curve, lookup latency, bytes per citizen, throughputs."""

from __future__ import annotations

from pathlib import Path

TARGET_LOOKUP_P99_MS = 5.0
TARGET_BYTES_PER_CITIZEN = 2048


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    citizens = result["citizens"]
    fig, ((curve, lookup), (size, rates)) = plt.subplots(2, 2, figsize=(13, 9))

    points = result.get("load_curve") or []
    if points:
        curve.plot([t / 60 for t, _ in points], [n / 1e6 for _, n in points])
    load = result.get("load") or {}
    curve.set_xlabel("minutes of loading")
    curve.set_ylabel("citizens loaded (millions)")
    curve.set_title(f"Load: {load.get('citizens_per_s', '?')} citizens/s with {load.get('workers', '?')} processes, "
                    f"then {load.get('index_build_total_s', '?')} s of index builds", fontsize=10)
    curve.grid(alpha=0.3)

    times = sorted(result["lookup"].get("latencies_ms") or [])
    if times:
        lookup.plot(times, [i / max(1, len(times) - 1) for i in range(len(times))])
        lookup.set_xscale("log")
    lookup.axvline(TARGET_LOOKUP_P99_MS, color="red", linestyle="--", label=f"target p99 {TARGET_LOOKUP_P99_MS} ms")
    lookup.axhline(0.99, color="grey", linestyle=":")
    lookup.set_xlabel("lookup by ID number (ms, log scale)")
    lookup.set_ylabel("fraction of lookups")
    lookup.set_title(f"Lookup by blind index at {citizens:,} citizens: p50 {result['lookup_p50_ms']} ms, "
                     f"p99 {result['lookup_p99_ms']} ms", fontsize=10)
    lookup.legend()

    tables = result["size"]["tables"]
    names = list(tables)
    heap = [tables[n]["table_bytes"] / citizens for n in names]
    index = [tables[n]["index_bytes"] / citizens for n in names]
    size.bar(names, heap, label="table (+TOAST)")
    size.bar(names, index, bottom=heap, label="indexes")
    size.set_ylabel("bytes per citizen")
    size.set_title(f"{result['bytes_per_citizen']} bytes per citizen in all (target <= {TARGET_BYTES_PER_CITIZEN})",
                   fontsize=10)
    size.legend()

    labels = ["enrolments/s", "partner\nverifications/s", "sign-ins/s\n(loaded)", "sign-ins/s\n(empty)"]
    values = [result.get("enrolments_per_s", 0), result.get("verifications_per_s", 0),
              result.get("signins_per_s", 0), result.get("signins_per_s_empty", 0)]
    bars = rates.bar(labels, values, color=["C0", "C1", "C2", "C7"])
    rates.bar_label(bars, fmt="%.1f")
    rates.set_title("Throughput on the same machine (one process each; sign-ins over HTTP, 2 workers)", fontsize=10)

    machine = result["machine"]
    fig.suptitle(f"CivicID at {citizens:,} citizens — PostgreSQL, {machine['cpus']} CPUs shared with other jobs")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
