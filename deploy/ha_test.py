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
    .venv/bin/python deploy/ha_test.py [--load-s 120] [--keep]

The engines are in ha_cluster.py, the load and the kills in ha_load.py, the verdict in ha_report.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the ha_* modules beside this one

from ha_cluster import (HOST, PG_BIN, PORTS, ROOT, Cluster, cluster_members, configure, haproxy_up,  # noqa: E402
                        http_status, log, port_busy, start_database, wait_for)
from ha_load import CLIP, WITNESS_NAME, Load, drive, seed, service_env  # noqa: E402
from ha_report import checks, drain_outbox, failure_windows, per_second, plot, tally  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def start_replica(cluster: Cluster, n: int, env: dict[str, str]) -> None:
    civicid = str(Path(sys.executable).parent / "civicid")
    cluster.start(f"civicid{n}", [civicid, "serve", "--host", HOST, "--port", str(PORTS[f"api{n}"])], env=env)
    wait_for(f"civicid replica {n}", lambda: http_status(f"http://{HOST}:{PORTS[f'api{n}']}/api/v1/ready") == 200,
             90)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


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
    busy = [name for name, port in PORTS.items() if port_busy(port)]
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
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops everything as Ctrl-C does
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
            haproxy_up(cluster, f"api{n}") for n in (1, 2)), 30)
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
        statuses = tally(str(r.status) for r in load.records)
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
            "timeline_per_s": per_second(load.records),
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


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    raise SystemExit(main())
