from __future__ import annotations

from typing import Sequence

import pytest

from civicid.vault.datakeys import create_data_key, open_data_key
from civicid.vault.envelope import decrypt_field, encrypt_field
from civicid.vault.errors import KekInUse, UnknownKek, VaultUsageError
from civicid.vault.fakes import DeterministicRandom, FakeKeyProvider, InMemoryWrappedKeyStore
from civicid.vault.interfaces import WrappedKey
from civicid.vault.rotation import RotationReport, retire_kek_if_unused, rewrap_all

OWNERS = [f"citizen-{i:03d}" for i in range(25)]


def enrol(provider: FakeKeyProvider, store: InMemoryWrappedKeyStore) -> dict[str, bytes]:
    """Issue keys for OWNERS and seal one field each; returns the field blobs."""
    rng = DeterministicRandom(b"deks")
    blobs = {}
    for owner in OWNERS:
        issued = create_data_key(provider, owner=owner, rng=rng)
        store.put(owner, issued.wrapped)
        blobs[owner] = encrypt_field(
            issued.dek, owner.encode(), table="citizen", column="name", row_id=owner
        )
    return blobs


def assert_all_readable(
    provider: FakeKeyProvider, store: InMemoryWrappedKeyStore, blobs: dict[str, bytes]
) -> None:
    for owner, blob in blobs.items():
        dek = open_data_key(provider, store.get(owner), owner=owner)
        opened = decrypt_field(dek, blob, table="citizen", column="name", row_id=owner)
        assert opened == owner.encode()


class Interrupted(Exception):
    pass


class FailingStore(InMemoryWrappedKeyStore):
    """Crashes on the n-th replace, like a process killed mid-rotation."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.replaced = 0

    def replace(self, owner: str, *, expected: WrappedKey, new: WrappedKey) -> bool:
        if self.replaced + 1 == self.fail_at:
            raise Interrupted()
        self.replaced += 1
        return super().replace(owner, expected=expected, new=new)


def test_rewrap_moves_every_key_to_the_current_kek(
    provider: FakeKeyProvider, store: InMemoryWrappedKeyStore
) -> None:
    blobs = enrol(provider, store)
    before = dict(blobs)
    old_id = provider.current_kek_id
    new_id = provider.rotate_kek()
    seen: list[RotationReport] = []

    report = rewrap_all(store, provider, progress=seen.append, batch_size=10)

    assert report == RotationReport(kek_id=new_id, rewrapped=25, skipped=0, batches=3)
    assert [r.rewrapped for r in seen] == [10, 20, 25]
    assert store.owners_under(old_id) == ()
    assert store.owners_under(new_id) == tuple(OWNERS)
    assert blobs == before  # fields were not touched
    provider.retire_kek(old_id)
    assert_all_readable(provider, store, blobs)


def test_nothing_to_do_when_all_keys_are_current(
    provider: FakeKeyProvider, store: InMemoryWrappedKeyStore
) -> None:
    enrol(provider, store)
    assert rewrap_all(store, provider) == RotationReport(provider.current_kek_id, 0, 0, 0)
    assert provider.unwrap_calls == 0


def test_interrupted_rotation_resumes_where_it_stopped(provider: FakeKeyProvider) -> None:
    store = FailingStore(fail_at=13)
    blobs = enrol(provider, store)
    old_id = provider.current_kek_id
    new_id = provider.rotate_kek()

    with pytest.raises(Interrupted):
        rewrap_all(store, provider, batch_size=5)
    assert len(store.owners_under(new_id)) == 12
    assert len(store.owners_under(old_id)) == 13
    assert_all_readable(provider, store, blobs)  # a half-done rotation loses nothing

    store.fail_at = 0
    calls_before = provider.unwrap_calls
    report = rewrap_all(store, provider, batch_size=5)

    assert report.rewrapped == 13  # only what was left
    assert provider.unwrap_calls - calls_before == 13
    assert store.owners_under(old_id) == ()
    provider.retire_kek(old_id)
    assert_all_readable(provider, store, blobs)


def test_a_key_shredded_during_rotation_stays_shredded(provider: FakeKeyProvider) -> None:
    class ShredsMidway(InMemoryWrappedKeyStore):
        def stale_batch(
            self, current_kek_id: str, *, after: str | None, limit: int
        ) -> Sequence[tuple[str, WrappedKey]]:
            batch = super().stale_batch(current_kek_id, after=after, limit=limit)
            self.delete("citizen-003")  # the citizen deletes their account after the read
            return batch

    store = ShredsMidway()
    enrol(provider, store)
    provider.rotate_kek()
    report = rewrap_all(store, provider)
    assert report.rewrapped == 24 and report.skipped == 1
    assert store.get("citizen-003") is None


def test_a_key_under_a_retired_kek_stops_the_run(
    provider: FakeKeyProvider, store: InMemoryWrappedKeyStore
) -> None:
    enrol(provider, store)
    old_id = provider.current_kek_id
    provider.rotate_kek()
    provider.retire_kek(old_id)  # too early: keys are still under it
    with pytest.raises(UnknownKek):
        rewrap_all(store, provider)


def test_retire_only_after_a_complete_rewrap(
    provider: FakeKeyProvider, store: InMemoryWrappedKeyStore
) -> None:
    enrol(provider, store)
    old_id = provider.current_kek_id
    provider.rotate_kek()
    with pytest.raises(KekInUse):
        retire_kek_if_unused(store, provider, old_id)
    assert old_id in provider.kek_ids
    rewrap_all(store, provider)
    retire_kek_if_unused(store, provider, old_id)
    assert old_id not in provider.kek_ids


@pytest.mark.parametrize("batch_size", [0, -1, True, 1.5])
def test_batch_size_must_be_positive(
    provider: FakeKeyProvider, store: InMemoryWrappedKeyStore, batch_size: object
) -> None:
    with pytest.raises(VaultUsageError):
        rewrap_all(store, provider, batch_size=batch_size)  # type: ignore[arg-type]
