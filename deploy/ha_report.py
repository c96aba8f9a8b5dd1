"""What the HA test concludes from a run: the kills' windows, the checks on the surviving
database (nothing completed lost, audit verify, the log), and the plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from ha_cluster import DB_NAME, DB_USER, HOST, PORTS, Cluster, wait_for
from ha_load import Load, Record, Seed

QUIET = 20  # answers in a row without a failure: the outage a kill caused is over


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
            "failures": tally(f"{ordered[i].status} {_route(ordered[i].kind)}" for i in members),
        }
    outside = [r for i, r in enumerate(ordered) if (r.status == 0 or r.status >= 500) and i not in inside]
    return {"windows": windows, "failures_outside_windows": len(outside),
            "outside": [{"t_s": round(r.done, 2), "kind": r.kind, "status": r.status} for r in outside[:20]]}


def per_second(records: list[Record]) -> list[list[int]]:
    """[second, answered, failed] for every second of the load."""
    seconds = int(max((r.done for r in records), default=0)) + 1
    rows = [[t, 0, 0] for t in range(seconds)]
    for r in records:
        rows[int(r.done)][2 if r.status == 0 or r.status >= 500 else 1] += 1
    return rows


def _route(kind: str) -> str:
    """A request's route without its ids: ``POST /api/v1/enrolments/<id>/frames``."""
    return "/".join("<id>" if len(part) >= 32 else part for part in kind.split("/"))


def tally(items) -> dict[str, int]:
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
