"""Registry, citizens and data keys on both databases: encrypted, blind-indexed, shreddable."""

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from civicid.clock import FixedClock
from civicid.identity.models import Citizen
from civicid.identity.service import CitizenService, data_key_owner
from civicid.registry.demo import DemoRegistry
from civicid.registry.errors import RegistryDuplicate
from civicid.registry.interfaces import RegistryRecord
from civicid.vault.errors import ShreddedKey
from civicid.vault.fakes import FakeKeyProvider
from civicid.vault.rotation import rewrap_all
from civicid.vault.store import FieldVault, SqlWrappedKeyStore

CLOCK = FixedClock(datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc))
RECORD = RegistryRecord(id_number="11010519491231002X", name="Zhang Wei", birth_date=date(1949, 12, 31),
                        sex="F", photo=b"\xff\xd8\xff-not-a-real-photo")


@pytest.fixture
def keys():
    return FakeKeyProvider()


def test_registry_round_trip_and_duplicate(db_session, keys):
    registry = DemoRegistry(db_session, FieldVault(db_session, keys, CLOCK), CLOCK)
    registry.add(RECORD)
    # a fresh vault (no cached data keys) reads it back through the blind index
    found = DemoRegistry(db_session, FieldVault(db_session, keys, CLOCK), CLOCK).lookup(RECORD.id_number)
    assert (found.name, found.birth_date, found.sex, found.photo) == (RECORD.name, RECORD.birth_date, "F", RECORD.photo)
    assert registry.lookup("11010519491231003X") is None
    with pytest.raises(RegistryDuplicate):
        registry.add(RECORD)


def test_citizen_fields_are_ciphertext_and_shredding_makes_them_unreadable(db_session, keys):
    citizens = CitizenService(db_session, FieldVault(db_session, keys, CLOCK), CLOCK)
    citizen = citizens.create(RECORD, verification="face-liveness")
    raw = db_session.execute(sa.select(Citizen.name_ct, Citizen.id_number_ct)).one()
    assert b"Zhang" not in raw.name_ct and RECORD.id_number.encode() not in raw.id_number_ct
    assert len(citizen.network_id) == 26

    fresh = CitizenService(db_session, FieldVault(db_session, keys, CLOCK), CLOCK)
    assert fresh.profile(fresh.find_by_id_number(RECORD.id_number)).name == "Zhang Wei"

    fresh._vault.destroy(f"citizen:{citizen.id}")
    db_session.flush()
    with pytest.raises(ShreddedKey):
        CitizenService(db_session, FieldVault(db_session, keys, CLOCK), CLOCK).profile(citizen)


def test_a_citizen_read_with_their_data_key_opens_their_profile_without_another_query(db_session, keys):
    citizen_id = CitizenService(db_session, FieldVault(db_session, keys, CLOCK), CLOCK).create(
        RECORD, verification="face-liveness").id
    db_session.flush()
    db_session.expunge_all()
    fresh = CitizenService(db_session, FieldVault(db_session, keys, CLOCK), CLOCK)
    citizen = fresh.get(citizen_id, with_data_key=True)
    # the key row is gone before the profile is opened: only the key read along can open it
    db_session.execute(sa.text("UPDATE data_keys SET owner = 'moved' WHERE owner = :owner"),
                       {"owner": data_key_owner(citizen_id)})
    profile = fresh.profile(citizen)
    assert (profile.name, profile.birth_date) == (RECORD.name, RECORD.birth_date)
    db_session.execute(sa.text("UPDATE data_keys SET owner = :owner WHERE owner = 'moved'"),
                       {"owner": data_key_owner(citizen_id)})

    fresh._vault.destroy(data_key_owner(citizen_id))
    db_session.flush()
    db_session.expunge_all()
    shredded = CitizenService(db_session, FieldVault(db_session, keys, CLOCK), CLOCK)
    citizen = shredded.get(citizen_id, with_data_key=True)  # found: only its fields are unreadable
    with pytest.raises(ShreddedKey):
        shredded.profile(citizen)


def test_one_citizen_per_id_number(db_session, keys):
    citizens = CitizenService(db_session, FieldVault(db_session, keys, CLOCK), CLOCK)
    citizens.create(RECORD, verification="face-liveness")
    with pytest.raises(sa.exc.IntegrityError):
        citizens.create(RECORD, verification="face-liveness")


def test_kek_rotation_rewraps_keys_and_fields_still_open(session_factory, keys):
    with session_factory() as session, session.begin():
        citizens = CitizenService(session, FieldVault(session, keys, CLOCK), CLOCK)
        ids = [citizens.create(RegistryRecord(id_number=f"1101051949123100{i}", name=f"P{i}",
                                              birth_date=date(1949, 12, 31), sex="M", photo=b""),
                               verification="face").id for i in range(3)]
    new_kek = keys.rotate_kek()
    store = SqlWrappedKeyStore(session_factory)
    report = rewrap_all(store, keys, batch_size=2)
    store.close()
    assert (report.rewrapped, report.batches) == (3, 2)
    with session_factory() as session:
        assert set(session.scalars(sa.text("SELECT DISTINCT kek_id FROM data_keys")).all()) == {new_kek}
        citizens = CitizenService(session, FieldVault(session, keys, CLOCK), CLOCK)
        assert {citizens.profile(citizens.get(i)).name for i in ids} == {"P0", "P1", "P2"}
