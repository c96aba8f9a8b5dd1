"""Breach drill (DESIGN.md principle 1): steal the database and the logs; find nobody in them.

Twenty citizens enrol with real frames. Then the raw SQLite file (with its WAL), or every byte of
every PostgreSQL row, and every log line of the run (SQL statements and parameters included) are
searched for each citizen's ID number (also as digits only), name and birth date.
"""

from __future__ import annotations

import logging
import random
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from civicid.clock import FixedClock
from civicid.db import make_engine, make_session_factory
from civicid.enrolment.service import EnrolmentService, decide_session
from civicid.ids import generate_id_number, parse_id_number
from civicid.migrate import upgrade
from civicid.registry.demo import DemoRegistry
from civicid.registry.interfaces import RegistryRecord
from civicid.registry.names import generate_name
from civicid.runtime import build_runtime
from civicid.schema import metadata
from civicid.settings import Settings
from civicid.vault.local_keys import LocalKeyProvider
from tests.conftest import fresh_postgres_database, require_data
from tests.support.clips import clip_frames, still
from tests.support.harness import CLM

CITIZENS = 20
NOW = datetime(2026, 11, 4, 9, 0, tzinfo=timezone.utc)


def _people(rng: random.Random) -> list[RegistryRecord]:
    people = []
    for _ in range(CITIZENS):
        number = parse_id_number(generate_id_number(rng, today=NOW.date(), birth_date=date(
            rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))), today=NOW.date())
        people.append(RegistryRecord(id_number=number.value, name=generate_name(rng), birth_date=number.birth_date,
                                     sex="M", photo=b""))
    return people


def _needles(person: RegistryRecord) -> list[bytes]:
    digits = person.id_number.rstrip("X")
    return [person.id_number.encode(), digits.encode(), person.name.encode("utf-8"),
            person.name.casefold().encode("utf-8"), person.birth_date.isoformat().encode(),
            person.birth_date.strftime("%Y%m%d").encode(), person.birth_date.strftime("%d.%m.%Y").encode()]


def _every_row_as_bytes(engine) -> bytes:
    """A logical dump with exact bytes: bytea values raw, text as UTF-8, everything else as text."""
    out = bytearray()
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    out += value if isinstance(value, (bytes, memoryview)) else str(value).encode("utf-8")
                    out += b"\x1f"
    return bytes(out)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_stolen_database_and_its_logs_name_nobody(backend, tmp_path, shared_face_engine, caplog, capfd):
    clip = require_data("videos", CLM)
    frames, photo = clip_frames(clip, 0.0, 2.8), still(clip, 3.0)
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'civicid.db'}" if backend == "sqlite" else fresh_postgres_database("drill")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and their parameters

    settings = Settings(home=home, database_url=url, enrolment_min_response_s=0)
    home.mkdir()
    engine = make_engine(url)
    upgrade(engine)
    runtime = build_runtime(settings, sessions=make_session_factory(engine), keys=LocalKeyProvider(home),
                            clock=FixedClock(NOW), face_engine=shared_face_engine, rng=random.Random(7))
    people = _people(random.Random(2026))
    network_ids = []
    for person in people:
        with runtime.transaction() as session:
            DemoRegistry(session, runtime.vault(session), runtime.clock).add(
                RegistryRecord(person.id_number, person.name, person.birth_date, person.sex, photo))
        with runtime.transaction() as session:
            started = EnrolmentService(runtime, session).start(
                id_number=person.id_number, name=person.name, client="198.51.100.7", actions="turn_right,turn_left")
        decision = decide_session(runtime, EnrolmentService, started.session_id, frames, client="198.51.100.7")
        assert decision.decision == "enrolled", decision.reasons
        network_ids.append(decision.network_id)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    if backend == "sqlite":
        engine.dispose()
        stolen = b"".join(path.read_bytes() for path in sorted(home.glob("civicid.db*")))
    else:
        stolen = _every_row_as_bytes(engine)
        engine.dispose()
    captured = capfd.readouterr()
    logs = ("\n".join(record.getMessage() for record in caplog.records) + captured.out + captured.err).encode("utf-8")

    assert all(network_id.encode() in stolen for network_id in network_ids)  # the dump is really read
    assert b"INSERT INTO citizens" in logs  # ... and so are the statement logs
    for person in people:
        for needle in _needles(person):
            assert needle not in stolen, f"{needle!r} is readable in the stolen {backend} database"
            assert needle not in logs, f"{needle!r} appears in the logs"
    assert b"198.51.100.7" not in stolen + logs  # client addresses are only ever HMACed
