from __future__ import annotations

import pickle

import pytest

from civicid.vault.datakeys import DataKey, create_data_key, generate_data_key, open_data_key
from civicid.vault.envelope import decrypt_field, encrypt_field
from civicid.vault.errors import DecryptFailed, ShreddedKey, UnwrapFailed, VaultUsageError
from civicid.vault.fakes import DeterministicRandom, FakeKeyProvider, InMemoryWrappedKeyStore

FIELDS = {
    "full_name": b"Ada Lovelace",
    "id_number": b"11010519491231002X",
    "birth_date": b"1949-12-31",
}


def test_issued_key_opens_for_its_owner(provider: FakeKeyProvider) -> None:
    issued = create_data_key(provider, owner="citizen-1")
    assert issued.wrapped.kek_id == provider.current_kek_id
    assert open_data_key(provider, issued.wrapped, owner="citizen-1") == issued.dek


def test_wrapped_key_does_not_open_for_another_citizen(provider: FakeKeyProvider) -> None:
    issued = create_data_key(provider, owner="citizen-1")
    with pytest.raises(UnwrapFailed):
        open_data_key(provider, issued.wrapped, owner="citizen-2")


def test_each_citizen_gets_a_distinct_key(provider: FakeKeyProvider) -> None:
    keys = {bytes(create_data_key(provider, owner=f"c{i}").dek) for i in range(100)}
    assert len(keys) == 100


def test_generation_uses_the_injected_source() -> None:
    assert generate_data_key(rng=DeterministicRandom(b"s")) == generate_data_key(rng=DeterministicRandom(b"s"))
    assert generate_data_key(rng=DeterministicRandom(b"s")) != generate_data_key(rng=DeterministicRandom(b"t"))


def test_crypto_shredding_makes_every_field_unreadable(
    provider: FakeKeyProvider, store: InMemoryWrappedKeyStore
) -> None:
    issued = create_data_key(provider, owner="citizen-1")
    store.put("citizen-1", issued.wrapped)
    blobs = {
        column: encrypt_field(issued.dek, value, table="citizen", column=column, row_id="citizen-1")
        for column, value in FIELDS.items()
    }
    # A backup taken before deletion still holds the blobs (and the wrapped key, until shredded).
    dek = open_data_key(provider, store.get("citizen-1"), owner="citizen-1")
    for column, blob in blobs.items():
        assert decrypt_field(dek, blob, table="citizen", column=column, row_id="citizen-1") == FIELDS[column]
    del dek

    store.delete("citizen-1")

    with pytest.raises(ShreddedKey) as raised:
        open_data_key(provider, store.get("citizen-1"), owner="citizen-1")
    assert raised.value.code == "vault.key_destroyed"
    # Nothing else opens the blobs: not a fresh key for the same citizen, not a guessed one.
    replacement = create_data_key(provider, owner="citizen-1").dek
    for column, blob in blobs.items():
        for key in (replacement, bytes(32)):
            with pytest.raises(DecryptFailed):
                decrypt_field(key, blob, table="citizen", column=column, row_id="citizen-1")
        assert FIELDS[column] not in blob


def test_data_key_validates_length() -> None:
    for bad in (b"", bytes(16), bytes(33), "a" * 32):
        with pytest.raises(VaultUsageError):
            DataKey(bad)  # type: ignore[arg-type]


def test_data_key_cannot_be_hashed_or_pickled() -> None:
    key = DataKey(bytes(32))
    with pytest.raises(TypeError):
        hash(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)


@pytest.mark.parametrize("owner", ["", None])
def test_owner_is_required(provider: FakeKeyProvider, owner: object) -> None:
    with pytest.raises(VaultUsageError):
        create_data_key(provider, owner=owner)  # type: ignore[arg-type]
