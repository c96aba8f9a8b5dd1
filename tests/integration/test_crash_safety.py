"""Crash safety: ``civicid serve`` killed with SIGKILL at random moments of enrolment and sign-in.

A real server (its own CIVICID_HOME, SQLite, local keyring; tests/e2e/live_server.py) serves two
clients at once (tests/support/crash_clients.py): one enrols people with a recording that answers
the pinned liveness challenge and registers a passkey for each new citizen; the other signs
citizens in with their passkeys and runs the OIDC code flow to a token. At a seeded random moment
(inside an enrolment's decision, whose three units of work are the likeliest place for a torn
write, or near its end, or during a passkey registration, or at any time) the server gets
SIGKILL: the process stops dead between any two instructions (what the OS already holds is
kept; a power cut, which also loses unsynced pages, is not simulated). After each kill:

- before the restart, on the files as the crash left them: SQLite's integrity and foreign keys;
  every enrolment, passkey, sign-in session and token whose answer reached a client is there;
  no partial citizen (every row has its data key, every field opens, its enrolment event is
  recorded); no data key without its row and no enrolment session without its key;
- ``civicid audit verify --since-sth`` against the last head a client saw before the kill (no
  entry lost or rewritten, no gap), on the crashed files (read-only) and again after the restart,
  once the outbox has drained into the tree;
- after the restart the pruner removes what expired, so no session outlives its expiry.

``CIVICID_CRASH_CYCLES`` (default 30) kill/restart cycles; ``CIVICID_CRASH_SEED`` the seed.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import require_data
from tests.e2e.enrol_http import CLIP, registry_photo
from tests.e2e.live_server import LiveServer, free_port
from tests.support.crash_clients import (PRUNE_INTERVAL_S, CrashServer, Ledger, Member, client_thread, enroller,
                                         kill_moment, signer)
from tests.support.softauthn import SoftAuthenticator

CYCLES = int(os.environ.get("CIVICID_CRASH_CYCLES", "30"))
SEED = int(os.environ.get("CIVICID_CRASH_SEED", "20261130"))
PEOPLE = 60  # in the demo registry, enrolled one after the other
MEMBERS = 3  # citizens with a passkey from the start, so sign-ins run from the first cycle


# --- the checks -------------------------------------------------------------------------------

def check_files_after_crash(runtime, ledger: Ledger, premade: set[str]) -> dict[str, int]:
    """On the database as the kill left it (the server is down)."""
    from civicid.audit.events import EventTag
    from civicid.enrolment.models import EnrolmentSession
    from civicid.identity.models import Citizen
    from civicid.identity.passkeys import Passkey
    from civicid.identity.service import CitizenService
    from civicid.identity.sessions import SignInSessions
    from civicid.vault.models import WrappedDataKey

    with runtime.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    with runtime.transaction() as session:
        citizens = CitizenService(session, runtime.vault(session), runtime.clock)
        rows = session.scalars(sa.select(Citizen)).all()
        by_network = {row.network_id: row for row in rows}
        keys = set(session.scalars(sa.select(WrappedDataKey.owner)))
        # every enrolment whose answer reached the client: its network id resolves, to that person
        for id_number, network_id in ledger.enrolled.items():
            assert network_id in by_network, f"enrolment of {network_id} answered, then lost"
            assert citizens.profile(by_network[network_id]).id_number == id_number
        # a retry refused as "already enrolled" means the cut enrolment did complete, whole
        for id_number, code in ledger.refused.items():
            assert code == "enrolment.already_enrolled", (id_number, code)
            assert citizens.find_by_id_number(id_number) is not None, id_number
        # no partial citizen: the data key, every field, and the enrolment's event
        for row in rows:
            assert f"citizen:{row.id}" in keys, f"citizen {row.id} without its data key"
            citizens.profile(row)  # every field opens under it
            if row.id not in premade:
                _, items, pending = runtime.access_log(session).history(row.id)
                tags = [item.event.tag for item in items] + [event.tag for event in pending]
                assert EventTag.SYSTEM_CITIZEN_ENROLLED in tags, f"citizen {row.id} without its enrolment event"
        sessions = set(session.scalars(sa.select(EnrolmentSession.id)))
        for owner in keys:
            kind, _, row_id = owner.partition(":")
            if kind == "citizen":
                assert any(row.id == row_id for row in rows), f"orphan data key {owner}"
            elif kind == "enrolment":
                assert row_id in sessions, f"orphan data key {owner}"
        assert all(f"enrolment:{session_id}" in keys for session_id in sessions), "enrolment session without key"
        # passkeys, sign-in sessions and tokens whose answers reached the clients
        stored = {row.hex() for row in session.scalars(sa.select(Passkey.credential_id))}
        assert set(ledger.passkeys) <= stored, "a registered passkey was lost"
        signed_in = SignInSessions(session, runtime.clock)
        for network_id, token in ledger.sessions:
            assert signed_in.resolve(token) is not None, f"sign-in session of {network_id} lost"
        for network_id, count in ledger.tokens.items():
            _, items, pending = runtime.access_log(session).history(by_network[network_id].id)
            released = sum(1 for event in [item.event for item in items] + list(pending)
                           if event.tag is EventTag.RP_CITIZEN_CLAIMS_RELEASED)
            assert released >= count, f"{count} token answers for {network_id} but {released} releases logged"
    return {"citizens": len(rows)}


def wait_for_outbox(runtime, *, timeout_s: float = 30) -> int:
    """The events recorded before the kill reach the tree once the sequencer runs again."""
    from civicid.audit.service import outbox_state

    deadline = time.monotonic() + timeout_s
    while True:
        with runtime.sessions() as session:
            pending, _ = outbox_state(session)
        if pending == 0:
            return 0
        assert time.monotonic() < deadline, f"{pending} events still wait for the sequencer"
        time.sleep(0.1)


def audit_verify(server: LiveServer, head_path: Path) -> dict:
    """``civicid audit verify --since-sth``: every entry, node and signed head recomputed, and the
    head saved before the kill still in the log, unchanged (the CLI's own code, in process to
    save its start-up)."""
    from typer.testing import CliRunner

    from civicid.cli.main import app

    result = CliRunner().invoke(app, ["audit", "verify", "--json", "--since-sth", str(head_path)],
                                env=server.environment())
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["ok"], result.output
    return report


def wait_for_pruning(runtime, *, timeout_s: float = 15) -> None:
    """No session, ceremony, code or attempt outlives its expiry (as the pruner judges it: a code
    stays while its token does) by more than a prune interval or two."""
    from civicid.enrolment.models import EnrolmentSession
    from civicid.maintenance.service import PLAIN, _expires

    tables = [(EnrolmentSession.__table__, _expires), *PLAIN]
    deadline = time.monotonic() + timeout_s
    while True:
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=2 * PRUNE_INTERVAL_S + 1)
        with runtime.sessions() as session:
            stale = {table.name: session.scalar(sa.select(sa.func.count()).select_from(table)
                                                .where(expired(table, cutoff))) for table, expired in tables}
        stale = {name: count for name, count in stale.items() if count}
        if not stale:
            return
        assert time.monotonic() < deadline, f"expired rows left after restart: {stale}"
        time.sleep(0.2)


# --- the test -------------------------------------------------------------------------------

@pytest.fixture
def world(tmp_path):
    from civicid.identity.passkeys import PasskeyService
    from civicid.identity.service import CitizenService
    from civicid.ids import generate_id_number
    from civicid.oidc.clients import register_client
    from civicid.registry.demo import DemoRegistry
    from civicid.registry.interfaces import RegistryRecord
    from civicid.registry.names import generate_name
    from civicid.face.video import sample_frames
    from civicid.runtime import build_runtime

    clip = require_data("videos", CLIP)
    server = CrashServer(home=tmp_path / "home", port=free_port())
    server.home.mkdir(mode=0o700)
    runtime = build_runtime(server.settings())
    rng = random.Random(SEED)
    ledger = Ledger()
    photo, today = registry_photo(clip), runtime.clock.now().date()
    premade = set()
    with runtime.transaction() as session:
        registry = DemoRegistry(session, runtime.vault(session), runtime.clock)
        for n in range(PEOPLE + MEMBERS):
            number = generate_id_number(rng, today=today, birth_date=date(1980 + n % 20, 1 + n % 12, 1 + n % 28))
            record = RegistryRecord(id_number=number, name=generate_name(rng), birth_date=date(1980 + n % 20,
                                    1 + n % 12, 1 + n % 28), sex="M", photo=photo)
            if n < MEMBERS:  # enrolled before the server starts, with a passkey
                citizen = CitizenService(session, runtime.vault(session), runtime.clock).create(
                    record, verification="face-liveness")
                passkeys = PasskeyService.from_runtime(runtime, session)
                authenticator = SoftAuthenticator(origin=server.url)
                options = passkeys.registration_options(citizen.id, user_name=citizen.network_id)
                passkeys.verify_registration(options.ceremony_id, authenticator.create(options.public_key),
                                             citizen_id=citizen.id)
                ledger.members.append(Member(citizen.network_id, authenticator))
                premade.add(citizen.id)
            else:
                registry.add(record)
                ledger.queue.append((record.id_number, record.name))
        redirect_uri = "https://forum.example/callback"
        client_id, secret = register_client(session, runtime, name="Forum", redirect_uris=[redirect_uri])
    frames = list(sample_frames(clip, fps=15, start_s=0.0, end_s=2.8))
    yield server, runtime, ledger, premade, (client_id, secret, redirect_uri), frames, rng
    if server.process is not None and server.process.poll() is None:
        server.kill()
    runtime.engine.dispose()


def test_kill_9_during_enrolment_and_sign_in_loses_nothing_completed(world, tmp_path):
    server, runtime, ledger, premade, rp, frames, rng = world
    head_path = tmp_path / "head.json"
    server.start(timeout_s=120)
    restarts_s: list[float] = []
    for cycle in range(CYCLES):
        stop = threading.Event()
        ledger.frames_sent.clear()  # it stays set when a kill cut the last decision
        ledger.head = httpx.get(server.url + "/api/v1/transparency/sth", timeout=30).content
        threads = [client_thread(enroller, ledger, server, ledger, frames, stop),
                   client_thread(signer, ledger, server, ledger, rp, stop)]
        for thread in threads:
            thread.start()
        ledger.moments[kill_moment(rng, ledger)] += 1
        in_flight = dict(ledger.phase)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a client did not notice the server died"
        assert not ledger.errors, ledger.errors
        ledger.cut.update(f"{client}:{step}" for client, step in in_flight.items())

        head_path.write_bytes(ledger.head)  # the last head a client saw before the kill
        audit_verify(server, head_path)  # read-only, on the files as the kill left them
        check_files_after_crash(runtime, ledger, premade)
        began = time.monotonic()
        server.start(timeout_s=120)
        restarts_s.append(time.monotonic() - began)
        wait_for_outbox(runtime)
        audit_verify(server, head_path)
        wait_for_pruning(runtime)

    citizens = check_files_after_crash(runtime, ledger, premade)["citizens"]
    server.stop()
    summary = (f"crash safety: {CYCLES} kills; {len(ledger.enrolled)} enrolments, {len(ledger.passkeys)} passkeys, "
               f"{len(ledger.sessions)} sign-ins and {sum(ledger.tokens.values())} token answers kept "
               f"({citizens} citizens); kill moments {dict(ledger.moments)}, "
               f"steps in flight {dict(sorted(ledger.cut.items()))}; restart to healthy: median "
               f"{sorted(restarts_s)[len(restarts_s) // 2]:.1f} s")
    print(summary)
    assert ledger.enrolled and ledger.tokens, summary
