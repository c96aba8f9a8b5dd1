"""The resumable bulk load: citizens written by the service's own code, streamed with COPY.

Each citizen is the row ``CitizenService.create`` — the function an enrolment calls — writes,
made by the same vault functions: a fresh data key from the key provider, wrapped under the current
KEK (``data_keys``), the ID number, name and birth date sealed under it with AES-256-GCM (associated
data: table, column, citizen id) and the blind index of the ID number (``citizens``). The rows are
written with COPY instead of INSERT. Each citizen also gets one passkey row of the service's shape (``passkeys``):
a random 32-byte credential id (as the software authenticator makes), the service's user handle
(HMAC of the citizen id under the ``webauthn.user_handle`` key), the COSE ES256 key of one
software credential (77 bytes, like any P-256 passkey) — synthetic: no authenticator holds their
private keys. The sign-in measurements register real passkeys for the citizens they sign in as.

Batches of ``batch_size`` citizens are each one transaction that also writes its row in
``scale_bench_batches``, so a killed load resumes at the first batch not committed. While batches
are loading, the indexes and constraints of the three tables (and the foreign keys to
``citizens``) are dropped — their DDL kept in ``scale_bench_meta`` — and rebuilt once every batch
is in, exactly as the migrations made them (checked against the catalog afterwards).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import psycopg

from bench.scale.population import person

TABLES = ("citizens", "data_keys", "passkeys")
CITIZEN_COLUMNS = ("id", "network_id", "id_number_index", "id_number_ct", "name_ct", "birth_date_ct",
                   "template_ct", "verification", "enrolled_at")
KEY_COLUMNS = ("owner", "kek_id", "wrapped", "created_at")
PASSKEY_COLUMNS = ("credential_id", "citizen_id", "user_handle", "public_key", "sign_count", "transports",
                   "aaguid", "backed_up", "created_at", "last_used_at")
VERIFICATION = "face-liveness"  # what an enrolment writes (civicid.enrolment.service)
SYNTHETIC_AAGUID = "c1c1d1d1-0000-4000-8000-000000000001"  # tests/support/softauthn.py's

BENCH_DDL = (
    "CREATE TABLE IF NOT EXISTS scale_bench_meta (key text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS scale_bench_runs (id serial PRIMARY KEY, started_at timestamptz NOT NULL, "
    "finished_at timestamptz)",
    "CREATE TABLE IF NOT EXISTS scale_bench_batches (batch integer PRIMARY KEY, citizens integer NOT NULL, "
    "run integer NOT NULL, loaded_at timestamptz NOT NULL, build_s double precision NOT NULL, "
    "copy_s double precision NOT NULL)",
)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://) as psycopg takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _cose_public_key() -> bytes:
    import cbor2
    from cryptography.hazmat.primitives.asymmetric import ec

    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


@dataclass
class _Worker:
    """One loading process: its key provider, connection and the service objects."""

    url: str
    home: Path
    seed: int
    run: int

    def __post_init__(self) -> None:
        from civicid.clock import SystemClock
        from civicid.identity.passkeys import USER_HANDLE_PURPOSE
        from civicid.vault.local_keys import LocalKeyProvider
        from civicid.vault.store import BLIND_INDEX_PURPOSE

        self.keys = LocalKeyProvider(self.home)
        self.clock = SystemClock()
        self.handle_key = self.keys.hmac_key(USER_HANDLE_PURPOSE)
        self.index_key = self.keys.hmac_key(BLIND_INDEX_PURPOSE)
        self.cose = _cose_public_key()
        self.conn = psycopg.connect(libpq_url(self.url))
        self.conn.execute("SET synchronous_commit = off")  # a batch lost in a crash is loaded again
        self.conn.commit()

    def rows(self, first: int, count: int) -> tuple[list, list, list]:
        """What ``CitizenService.create`` writes for each citizen (civicid/identity/service.py),
        made by the same vault functions, without the ORM objects (they cost twice the crypto)."""
        from civicid.identity.service import TABLE, data_key_owner, new_network_id
        from civicid.vault.blind_index import blind_index
        from civicid.vault.datakeys import create_data_key
        from civicid.vault.envelope import encrypt_field

        citizen_rows, key_rows, passkey_rows = [], [], []
        now = self.clock.now()
        for index in range(first, first + count):
            someone = person(index, seed=self.seed)
            citizen_id = str(uuid.uuid4())
            owner = data_key_owner(citizen_id)
            new = create_data_key(self.keys, owner=owner)

            def seal(column: str, value: str) -> bytes:
                return encrypt_field(new.dek, value.encode("utf-8"), table=TABLE, column=column, row_id=citizen_id)

            key_rows.append((owner, new.wrapped.kek_id, new.wrapped.blob, now))
            citizen_rows.append((citizen_id, new_network_id(), blind_index(self.index_key, someone.id_number),
                                 seal("id_number", someone.id_number), seal("name", someone.name),
                                 seal("birth_date", someone.birth_date.isoformat()), None, VERIFICATION, now))
            handle = hmac.new(self.handle_key, citizen_id.encode(), hashlib.sha256).digest()
            passkey_rows.append((secrets.token_bytes(32), citizen_id, handle, self.cose, 0, "internal",
                                 SYNTHETIC_AAGUID, True, now, None))
        return citizen_rows, key_rows, passkey_rows

    def load(self, batch: int, first: int, count: int) -> tuple[int, int, float, float]:
        started = time.perf_counter()
        citizen_rows, key_rows, passkey_rows = self.rows(first, count)
        built = time.perf_counter()
        with self.conn.transaction(), self.conn.cursor() as cur:
            for table, columns, rows in (("citizens", CITIZEN_COLUMNS, citizen_rows),
                                         ("data_keys", KEY_COLUMNS, key_rows),
                                         ("passkeys", PASSKEY_COLUMNS, passkey_rows)):
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            copied = time.perf_counter()
            cur.execute("INSERT INTO scale_bench_batches (batch, citizens, run, loaded_at, build_s, copy_s) "
                        "VALUES (%s, %s, %s, now(), %s, %s)",
                        (batch, count, self.run, built - started, copied - built))
        return batch, count, built - started, time.perf_counter() - built


_worker: _Worker | None = None


def _init_worker(url: str, home: str, seed: int, run: int) -> None:
    global _worker
    _worker = _Worker(url, Path(home), seed, run)


def _load_batch(job: tuple[int, int, int]) -> tuple[int, int, float, float]:
    assert _worker is not None
    return _worker.load(*job)


# --- the indexes and constraints, dropped while loading ----------------------------------------

def _secondary_ddl(conn: psycopg.Connection) -> dict:
    """The DDL that recreates every index and constraint of TABLES (and the foreign keys that
    point at them), in the order to run it: keys, other indexes, foreign keys."""
    rows = conn.execute(
        "SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid), c.contype "
        "FROM pg_constraint c WHERE c.contype IN ('p', 'u', 'f') "
        "AND (c.conrelid::regclass::text = ANY(%(t)s) OR c.confrelid::regclass::text = ANY(%(t)s))",
        {"t": list(TABLES)}).fetchall()
    keys = [(name, table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for name, table, definition, kind in rows if kind in "pu"]
    foreign = [(name, table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
               for name, table, definition, kind in rows if kind == "f"]
    owned = {name for name, *_ in keys}
    indexes = [(name, table, definition) for name, table, definition in conn.execute(
        "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = ANY(%(t)s)", {"t": list(TABLES)}).fetchall() if name not in owned]
    return {"keys": keys, "indexes": indexes, "foreign": foreign}


def catalog_signature(conn: psycopg.Connection) -> list[str]:
    """Every index and constraint definition of TABLES, sorted: equal before and after a load."""
    ddl = _secondary_ddl(conn)
    return sorted(d for group in ddl.values() for _, _, d in group)


def _drop_secondary(conn: psycopg.Connection) -> None:
    if _meta(conn, "dropped_ddl") is not None:
        return  # dropped by an earlier, interrupted run
    ddl = _secondary_ddl(conn)
    with conn.transaction():
        _set_meta(conn, "dropped_ddl", json.dumps(ddl))
        for name, table, _ in ddl["foreign"]:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, table, _ in ddl["indexes"]:
            conn.execute(f'DROP INDEX "{name}"')
        for name, table, _ in ddl["keys"]:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


def _rebuild_secondary(conn: psycopg.Connection, say: Callable[[str], None]) -> dict[str, float]:
    raw = _meta(conn, "dropped_ddl")
    if raw is None:
        return {}
    ddl = json.loads(raw)
    seconds: dict[str, float] = {}
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 1")  # with the leader: the two cores
    for group in ("keys", "indexes", "foreign"):
        for name, _, statement in ddl[group]:
            exists = conn.execute("SELECT 1 FROM pg_constraint WHERE conname = %(n)s UNION ALL "
                                  "SELECT 1 FROM pg_class WHERE relname = %(n)s", {"n": name}).fetchone()
            if exists:  # built by a run killed before it finished the rebuild
                continue
            say(f"building {name}")
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(statement)
            seconds[name] = round(time.perf_counter() - started, 1)
    with conn.transaction():
        conn.execute("DELETE FROM scale_bench_meta WHERE key = 'dropped_ddl'")
    return seconds


# --- bench bookkeeping -------------------------------------------------------------------------

def _meta(conn: psycopg.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM scale_bench_meta WHERE key = %s", (key,)).fetchone()
    return None if row is None else row[0]


def _set_meta(conn: psycopg.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO scale_bench_meta (key, value) VALUES (%s, %s) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def _check_meta(conn: psycopg.Connection, key: str, value: str) -> None:
    stored = _meta(conn, key)
    if stored is None:
        _set_meta(conn, key, value)
    elif stored != value:
        raise SystemExit(f"this database was loaded with {key}={stored}, not {value}: use the same, "
                         "or --fresh to start again")


def batches(citizens: int, batch_size: int) -> Iterator[tuple[int, int, int]]:
    for batch, first in enumerate(range(0, citizens, batch_size)):
        yield batch, first, min(batch_size, citizens - first)


@dataclass(frozen=True)
class LoadReport:
    citizens: int
    batch_size: int
    workers: int
    loaded_this_run: int
    resumed_from: int  # citizens already loaded by earlier runs
    load_s: float  # wall time of the batches, over every run that loaded some
    build_s: float  # process time building rows (encryption...), summed over workers and runs
    copy_s: float
    index_build_s: dict[str, float]
    citizens_per_s: float

    def to_json(self) -> dict:
        return {"citizens": self.citizens, "batch_size": self.batch_size, "workers": self.workers,
                "loaded_this_run": self.loaded_this_run, "resumed_from": self.resumed_from,
                "load_wall_s": round(self.load_s, 1), "rows_build_s_summed": round(self.build_s, 1),
                "copy_s_summed": round(self.copy_s, 1), "index_build_s": self.index_build_s,
                "index_build_total_s": round(sum(self.index_build_s.values()), 1),
                "citizens_per_s": round(self.citizens_per_s, 1),
                "citizens_per_s_with_index_build": round(
                    self.citizens / (self.load_s + sum(self.index_build_s.values())), 1) if self.load_s else None}


def load(url: str, home: Path, *, citizens: int, batch_size: int, seed: int, workers: int,
         progress_factory: Callable[[int, int], Callable[[int], None]],
         say: Callable[[str], None] = print) -> LoadReport:
    """Load citizens 0..citizens-1 (resuming), then rebuild the indexes. ``progress_factory(total,
    done)`` returns the callback given the size of each committed batch."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for statement in BENCH_DDL:
            conn.execute(statement)
        with conn.transaction():
            _check_meta(conn, "seed", str(seed))
            _check_meta(conn, "batch_size", str(batch_size))
        done = dict(conn.execute("SELECT batch, citizens FROM scale_bench_batches").fetchall())
        plan = list(batches(citizens, batch_size))
        for batch, _, count in plan:
            if batch in done and done[batch] != count:
                raise SystemExit(f"batch {batch} was loaded with {done[batch]} citizens, now {count}: "
                                 "load a multiple of the batch size first, or use --fresh")
        extra = set(done) - {batch for batch, _, _ in plan}
        if extra:
            raise SystemExit(f"this database holds {len(extra)} batches beyond --citizens {citizens}")
        todo = [job for job in plan if job[0] not in done]
        resumed = sum(done.values())
        run = None
        if todo:
            run = conn.execute("INSERT INTO scale_bench_runs (started_at) VALUES (now()) RETURNING id").fetchone()[0]
            _drop_secondary(conn)
            advance = progress_factory(citizens, resumed)
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_init_worker, initargs=(url, str(home), seed, run)) as pool:
                for _, count, _, _ in pool.imap_unordered(_load_batch, todo):
                    advance(count)
            conn.execute("UPDATE scale_bench_runs SET finished_at = now() WHERE id = %s", (run,))
        say("rebuilding the indexes and constraints" if _meta(conn, "dropped_ddl") else "indexes in place")
        index_s = _rebuild_secondary(conn, say)
        if index_s:
            _set_meta(conn, "index_build_s", json.dumps(index_s))
            for table in TABLES:  # the planner's statistics; autovacuum does the rest in its time
                conn.execute(f"ANALYZE {table}")
        else:
            index_s = json.loads(_meta(conn, "index_build_s") or "{}")
        load_s, build_s, copy_s = conn.execute(
            "SELECT coalesce(sum(extract(epoch FROM w)), 0), (SELECT coalesce(sum(build_s), 0) FROM "
            "scale_bench_batches), (SELECT coalesce(sum(copy_s), 0) FROM scale_bench_batches) FROM ("
            "  SELECT max(b.loaded_at) - r.started_at AS w FROM scale_bench_runs r "
            "  JOIN scale_bench_batches b ON b.run = r.id GROUP BY r.id, r.started_at) s").fetchone()
        loaded = conn.execute("SELECT coalesce(sum(citizens), 0) FROM scale_bench_batches").fetchone()[0]
    if loaded != citizens:
        raise RuntimeError(f"{loaded} citizens loaded, {citizens} expected")
    load_s = float(load_s)
    return LoadReport(citizens, batch_size, workers, citizens - resumed, resumed, load_s, float(build_s),
                      float(copy_s), index_s, citizens / load_s if load_s else 0.0)

