"""The engines of the HA test on one machine: etcd, two Patroni-managed PostgreSQL nodes, haproxy and
pgbouncer, configured from deploy/templates and started as processes this module can kill and stop."""

from __future__ import annotations

import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import httpx

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "deploy" / "templates"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
HOST = "127.0.0.1"
PORTS = {"etcd_client": 12379, "etcd_peer": 12380, "rest1": 18008, "rest2": 18009, "pg1": 15432, "pg2": 15433,
         "pg_haproxy": 15000, "pgbouncer": 16432, "api1": 18081, "api2": 18082, "http": 18080, "stats": 18404}
DB_NAME, DB_USER = "civicid", "civicid"


def log(message: str) -> None:
    print(f"[ha-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    logfile: Path

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Cluster:
    work: Path
    procs: dict[str, Proc] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def run(self) -> Path:
        return self.work / "run"

    def start(self, name: str, argv: list[str], *, env: dict[str, str] | None = None,
              as_postgres: bool = False) -> Proc:
        logfile = self.work / "logs" / f"{name}.log"
        if as_postgres:  # setpriv execs: the pid is the program's own
            argv = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv
        out = open(logfile, "ab")
        popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env or os.environ.copy(),
                                 start_new_session=True, cwd=self.work)
        out.close()
        proc = self.procs[name] = Proc(name, popen, logfile)
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc and proc.alive():
            os.kill(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait()

    def stop_all(self) -> None:
        """Patroni first (it stops its PostgreSQL), then the rest; SIGKILL what does not stop."""
        order = sorted(self.procs.values(), key=lambda p: (not p.name.startswith("civicid"),
                                                          not p.name.startswith("patroni"), p.name))
        for proc in order:
            if proc.alive():
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in order:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait()
        for node in ("node1", "node2"):  # a postmaster left behind by a killed Patroni
            kill_postmaster(self.work / node / "data")


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def kill_postmaster(data_dir: Path) -> list[int]:
    """SIGKILL the postmaster of ``data_dir`` and every process it started (the node dies)."""
    pid = postmaster_pid(data_dir)
    if pid is None or not Path(f"/proc/{pid}").exists():
        return []
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    if b"postgres" not in cmdline:
        return []
    children = [int(c) for c in subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                                               text=True).stdout.split()]
    for victim in [pid, *children]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return [pid, *children]


def wait_for(what: str, check, timeout_s: float, interval_s: float = 0.25):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception:  # not up yet
            pass
        time.sleep(interval_s)
    raise RuntimeError(f"{what}: not within {timeout_s:.0f} s")


def http_status(url: str) -> int:
    try:
        return httpx.get(url, timeout=1.0).status_code
    except httpx.HTTPError:
        return 0


def render(name: str, target: Path, **values) -> Path:
    text = Template((TEMPLATES / name).read_text()).substitute(**{k: str(v) for k, v in values.items()})
    target.write_text(text)
    return target


def configure(cluster: Cluster) -> None:
    work, run = cluster.work, cluster.run
    pg = pwd.getpwnam("postgres")
    for sub in ("logs", "run", "etcd", "node1", "node2", "home"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("run", "node1", "node2", "logs"):
        os.chown(work / sub, pg.pw_uid, pg.pw_gid)
    os.chmod(work, 0o755)
    for sub in ("node1", "node2"):
        os.chmod(work / sub, 0o700)
    s = cluster.secrets = {k: secrets.token_urlsafe(18) for k in ("superuser", "replication", "rewind", "app")}
    render("etcd.conf.yml", run / "etcd.conf.yml", ETCD_NAME="etcd1", ETCD_DATA_DIR=work / "etcd", ETCD_HOST=HOST,
           ETCD_CLIENT_PORT=PORTS["etcd_client"], ETCD_PEER_PORT=PORTS["etcd_peer"],
           ETCD_INITIAL_CLUSTER=f"etcd1=http://{HOST}:{PORTS['etcd_peer']}")
    for n in (1, 2):
        render("patroni.yml", run / f"patroni-node{n}.yml", NODE_NAME=f"node{n}", NODE_HOST=HOST,
               REST_PORT=PORTS[f"rest{n}"], PG_PORT=PORTS[f"pg{n}"], ETCD_HOSTS=f"{HOST}:{PORTS['etcd_client']}",
               LOG_DIR=work / "logs", DATA_DIR=work / f"node{n}" / "data", PG_BIN_DIR=PG_BIN, RUN_DIR=run,
               SUPERUSER_PASSWORD=s["superuser"], REPLICATION_PASSWORD=s["replication"],
               REWIND_PASSWORD=s["rewind"], CLIENT_NETWORK=f"{HOST}/32")
    api = "\n".join(f"    server api{n} {HOST}:{PORTS[f'api{n}']} check" for n in (1, 2))
    pgs = "\n".join(f"    server pg{n} {HOST}:{PORTS[f'pg{n}']} check port {PORTS[f'rest{n}']}" for n in (1, 2))
    render("haproxy.cfg", run / "haproxy.cfg", RUN_DIR=run, HTTP_BIND=f"{HOST}:{PORTS['http']}",
           PG_BIND=f"{HOST}:{PORTS['pg_haproxy']}", STATS_BIND=f"{HOST}:{PORTS['stats']}", API_SERVERS=api,
           PG_SERVERS=pgs)
    render("pgbouncer.ini", run / "pgbouncer.ini", DB_NAME=DB_NAME, UPSTREAM_HOST=HOST,
           UPSTREAM_PORT=PORTS["pg_haproxy"], PGBOUNCER_HOST=HOST, PGBOUNCER_PORT=PORTS["pgbouncer"], RUN_DIR=run)
    (run / "userlist.txt").write_text(f'"{DB_USER}" "{s["app"]}"\n"postgres" "{s["superuser"]}"\n')
    for path in run.iterdir():
        os.chown(path, pg.pw_uid, pg.pw_gid)
        os.chmod(path, 0o600)


def database_url(cluster: Cluster) -> str:
    return (f"postgresql+psycopg://{DB_USER}:{cluster.secrets['app']}@{HOST}:{PORTS['pgbouncer']}/{DB_NAME}")


def cluster_members() -> list[dict]:
    for n in (1, 2):
        try:
            return httpx.get(f"http://{HOST}:{PORTS[f'rest{n}']}/cluster", timeout=1.0).json()["members"]
        except (httpx.HTTPError, KeyError, ValueError):
            continue
    return []


def start_database(cluster: Cluster) -> None:
    cluster.start("etcd", ["etcd", "--config-file", str(cluster.run / "etcd.conf.yml")])
    wait_for("etcd", lambda: http_status(f"http://{HOST}:{PORTS['etcd_client']}/health") == 200, 30)
    cluster.start("patroni1", ["patroni", str(cluster.run / "patroni-node1.yml")], as_postgres=True)
    wait_for("node1 primary", lambda: http_status(f"http://{HOST}:{PORTS['rest1']}/primary") == 200, 90)
    cluster.start("patroni2", ["patroni", str(cluster.run / "patroni-node2.yml")], as_postgres=True)
    wait_for("node2 synchronous standby", lambda: any(
        m["name"] == "node2" and m["role"] == "sync_standby" and m.get("state") in ("streaming", "running")
        for m in cluster_members()), 120)
    cluster.start("haproxy", ["haproxy", "-db", "-f", str(cluster.run / "haproxy.cfg")])
    wait_for("haproxy primary port", lambda: _psql_ok(cluster, PORTS["pg_haproxy"]), 30)
    import psycopg

    with psycopg.connect(host=HOST, port=PORTS["pg_haproxy"], user="postgres", dbname="postgres",
                         password=cluster.secrets["superuser"], autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{cluster.secrets['app']}'")
        conn.execute(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")
    cluster.start("pgbouncer", ["pgbouncer", str(cluster.run / "pgbouncer.ini")], as_postgres=True)
    wait_for("pgbouncer", lambda: _psql_ok(cluster, PORTS["pgbouncer"], user=DB_USER, dbname=DB_NAME), 30)


def _psql_ok(cluster: Cluster, port: int, *, user: str = "postgres", dbname: str = "postgres") -> bool:
    import psycopg

    password = cluster.secrets["app" if user == DB_USER else "superuser"]
    with psycopg.connect(host=HOST, port=port, user=user, dbname=dbname, password=password, connect_timeout=2) as c:
        return c.execute("SELECT 1").fetchone() == (1,)


def haproxy_up(cluster: Cluster, server: str) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(cluster.run / "haproxy.sock"))
        sock.sendall(b"show stat\n")
        text = b""
        while chunk := sock.recv(65536):
            text += chunk
    return any(line.split(",")[1] == server and line.split(",")[17] == "UP"
               for line in text.decode().splitlines() if line and not line.startswith("#"))


def port_busy(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0
