"""Two replicas of the API on one PostgreSQL database (DESIGN.md, Scale: the API tier is stateless).

Each replica is an app with its own runtime, engine and connection pool, its own CIVICID_HOME and
its own process-wide caches, as two `civicid serve` processes behind haproxy would be; they share
only the database and the key provider. What one replica starts, the other finishes: a passkey
ceremony, a sign-in session, an attempt limit, the replay caches of OIDC, and the log, whose
sequencers append concurrently into one gap-free tree (the tail is a PostgreSQL advisory lock).
PostgreSQL only: SQLite is one node's embedded store.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from civicid.audit.db_verify import verify_stored_log
from civicid.audit.events import EventTag
from civicid.audit.sequencer import LogSequencer
from civicid.db import make_engine, make_session_factory
from civicid.enrolment.errors import Locked
from civicid.enrolment.limits import AttemptLimiter
from civicid.identity.sessions import COOKIE_NAME, SignInSessions
from civicid.migrate import upgrade
from civicid.oidc.storage import SqlOidcStore
from tests.conftest import fresh_postgres_database
from tests.support.harness import Harness, make_citizen
from tests.support.softauthn import SoftAuthenticator

pytestmark = pytest.mark.xdist_group("ha_two_replicas")

ACR = "urn:civicid:acr:face-liveness"


@pytest.fixture(scope="module")
def database_url():
    return fresh_postgres_database("ha")


@pytest.fixture
def replicas(database_url, shared_face_engine, tmp_path):
    engines = [make_engine(database_url) for _ in range(2)]
    upgrade(engines[0])
    with engines[0].begin() as conn:  # every test starts from an empty service
        tables = conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")).scalars()
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    homes = [tmp_path / "a", tmp_path / "b"]
    made = []
    for engine, home in zip(engines, homes):
        home.mkdir()
        made.append(Harness(make_session_factory(engine), shared_face_engine, home))
    yield made
    for engine in engines:
        engine.dispose()


def test_a_passkey_ceremony_begun_on_one_replica_completes_on_the_other(replicas):
    a, b = replicas
    citizen_id = make_citizen(a, id_number="11010519900307005X", name="Li Ming")
    with a.runtime.transaction() as session:
        token = SignInSessions(session, a.clock).create(citizen_id, amr=("face", "user"), acr=ACR)
    for replica in (a, b):  # the browser's cookie reaches whichever replica haproxy picks
        replica.client.cookies.set(COOKIE_NAME, token)
    authenticator = SoftAuthenticator(origin=a.settings.public_url.rstrip("/"))

    options = a.client.post("/api/v1/passkeys/registration/options").json()
    registered = b.client.post("/api/v1/passkeys/registration/verify", json={
        "ceremony_id": options["ceremony_id"], "credential": authenticator.create(options["publicKey"])})
    assert registered.status_code == 201, registered.text
    assert a.client.get("/api/v1/passkeys").json()["passkeys"][0]["transports"] == ["internal"]

    for replica in (a, b):
        replica.client.cookies.clear()
    begun = b.client.post("/api/v1/signin/options").json()
    credential = authenticator.get(begun["publicKey"])
    signed_in = a.client.post("/api/v1/signin/verify", json={"ceremony_id": begun["ceremony_id"],
                                                            "credential": credential})
    assert signed_in.status_code == 200, signed_in.text
    # single use across replicas: the other one cannot take the same ceremony again
    replay = b.client.post("/api/v1/signin/verify", json={"ceremony_id": begun["ceremony_id"],
                                                          "credential": credential})
    assert replay.status_code >= 400 and replay.json()["error"]["code"].startswith("passkey.")
    # the session made on A is honoured by B, and signing out on B ends it on A
    b.client.cookies.set(COOKIE_NAME, signed_in.cookies.get(COOKIE_NAME))
    a.client.cookies.set(COOKIE_NAME, signed_in.cookies.get(COOKIE_NAME))
    assert b.client.get("/api/v1/passkeys").status_code == 200
    assert b.client.post("/api/v1/signout").status_code == 204
    assert a.client.get("/api/v1/passkeys").json()["error"]["code"] == "auth.sign_in_required"


def test_an_attempt_limit_counts_hits_on_both_replicas_exactly(replicas):
    limit, per_replica = 5, 8
    start = threading.Barrier(2 * per_replica)
    outcomes: list[str] = []

    def hit(replica) -> None:
        start.wait()
        try:
            with replica.runtime.transaction() as session:
                AttemptLimiter.for_runtime(replica.runtime, session).hit(
                    "partner_verify", "partner-1", limit=limit, window=timedelta(minutes=1))
            outcomes.append("counted")
        except Locked:
            outcomes.append("refused")

    threads = [threading.Thread(target=hit, args=(replica,)) for replica in replicas for _ in range(per_replica)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["counted"] * limit + ["refused"] * (2 * per_replica - limit)


def test_oidc_replay_caches_are_shared(replicas):
    a, b = replicas
    now = a.clock.now()
    with a.runtime.transaction() as session:
        store = SqlOidcStore(session, a.runtime)
        assert store.use_dpop_jti("jkt-1", "jti-1", expires_at=now + timedelta(minutes=5))
        assert store.use_jti("client-1", "assertion-1", expires_at=now + timedelta(minutes=5), now=now)
    with b.runtime.transaction() as session:
        store = SqlOidcStore(session, b.runtime)
        assert not store.use_dpop_jti("jkt-1", "jti-1", expires_at=now + timedelta(minutes=5))
        assert not store.use_jti("client-1", "assertion-1", expires_at=now + timedelta(minutes=5), now=now)


def test_two_replicas_sequencing_at_once_append_one_gap_free_tree(replicas):
    """Both replicas record events and run their background sequencers (and inline passes) at the
    same time: every event gets exactly one index, 0..n-1, and the stored log verifies."""
    per_replica, writers = 60, 3
    sequencers = [LogSequencer(replica.runtime, interval_s=0.005, sweep_s=0.05) for replica in replicas]
    for sequencer in sequencers:
        sequencer.start()
    start = threading.Barrier(len(replicas) * writers)

    def record(replica, writer: int) -> None:
        start.wait()
        for i in range(per_replica // writers):
            with replica.runtime.transaction() as session:
                replica.runtime.access_log(session).record(
                    EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1",
                    citizen_id=f"c-{replica.settings.home.name}-{writer}-{i}", purpose="check")
            if i % 4 == 0:
                replica.runtime.sequence_log()  # an inline pass racing the background ones

    threads = [threading.Thread(target=record, args=(replica, w)) for replica in replicas for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for sequencer in sequencers:
        sequencer.stop()  # drains what is left
    a, _ = replicas
    total = per_replica * len(replicas)
    with a.runtime.transaction() as session:
        indexes = session.execute(sa.text("SELECT idx FROM audit_entries ORDER BY idx")).scalars().all()
        pending = session.execute(sa.text("SELECT count(*) FROM audit_pending")).scalar_one()
        refs = session.execute(sa.text("SELECT count(DISTINCT citizen_ref) FROM audit_entries")).scalar_one()
        result = verify_stored_log(session, a.runtime.keys, a.clock)
    assert indexes == list(range(total)) and pending == 0 and refs == total
    assert result.ok, result


def test_replicas_starting_together_migrate_one_at_a_time():
    """`civicid serve` migrates at start; on an empty database, replicas whose processes start at
    the same moment take turns (an advisory lock) instead of racing to create the same tables.
    (Processes, not threads: Alembic's context is one per process.)"""
    import subprocess
    import sys

    url = fresh_postgres_database("ha_migrate")
    code = ("import sys, time; from civicid.db import make_engine; from civicid.migrate import upgrade; "
            "engine = make_engine(sys.argv[1]); engine.connect().close(); "
            "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); upgrade(engine)")
    at = f"{time.time() + 4:.3f}"  # every process connected and waiting for the same instant
    runs = [subprocess.Popen([sys.executable, "-c", code, url, at], stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    failures = [(run.wait(timeout=300), run.stderr.read()[-600:]) for run in runs]
    assert [code for code, _ in failures] == [0, 0, 0], failures
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
            assert conn.execute(sa.text(
                "SELECT count(*) FROM pg_tables WHERE tablename = 'audit_cosigned'")).scalar_one() == 1
    finally:
        engine.dispose()
