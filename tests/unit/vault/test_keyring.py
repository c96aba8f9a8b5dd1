"""Wrapping and per-purpose keys, through the in-memory provider and the v1 vectors."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from civicid.vault.errors import KekInUse, KeyringInvalid, UnknownKek, UnwrapFailed, VaultUsageError
from civicid.vault.fakes import FakeKeyProvider
from civicid.vault.interfaces import KeyProvider, RotatingKeyProvider, WrappedKey
from civicid.vault.keyring import Keyring

from .conftest import FixedBytes, load_vectors

V = load_vectors("keyring_v1.json")
DEK = bytes(range(32))


def vector_ring() -> Keyring:
    return Keyring(
        root_secret=bytes.fromhex(V["root_secret"]),
        keks=MappingProxyType({V["kek_id"]: bytes.fromhex(V["kek"])}),
        current_kek_id=V["kek_id"],
        serial=1,
    )


def public_hex(key) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def test_wrap_vector() -> None:
    case = V["wrap"]
    nonce = FixedBytes(bytes.fromhex(case["nonce"]))
    wrapped = vector_ring().wrap(bytes.fromhex(case["dek"]), owner=case["owner"], rng=nonce)
    assert wrapped == WrappedKey(kek_id=V["kek_id"], blob=bytes.fromhex(case["blob"]))
    assert vector_ring().unwrap(wrapped, owner=case["owner"]).hex() == case["dek"]


@pytest.mark.parametrize("purpose", sorted(V["hmac_keys"]))
def test_hmac_key_vectors(purpose: str) -> None:
    assert vector_ring().hmac_key(purpose).hex() == V["hmac_keys"][purpose]


@pytest.mark.parametrize("purpose", sorted(V["signing_public_keys"]))
def test_signing_key_vectors(purpose: str) -> None:
    assert public_hex(vector_ring().signing_key(purpose)) == V["signing_public_keys"][purpose]


def test_fake_satisfies_the_protocols(provider: FakeKeyProvider) -> None:
    assert isinstance(provider, KeyProvider)
    assert isinstance(provider, RotatingKeyProvider)


def test_wrap_round_trip_and_owner_binding(provider: FakeKeyProvider) -> None:
    wrapped = provider.wrap(DEK, owner="citizen-1")
    assert wrapped.kek_id == provider.current_kek_id
    assert DEK not in wrapped.blob
    assert provider.unwrap(wrapped, owner="citizen-1") == DEK
    with pytest.raises(UnwrapFailed) as raised:
        provider.unwrap(wrapped, owner="citizen-2")
    assert raised.value.code == "vault.unwrap_failed"


def test_wrapped_key_relabelled_with_another_kek_fails(provider: FakeKeyProvider) -> None:
    wrapped = provider.wrap(DEK, owner="c")
    provider.rotate_kek()
    with pytest.raises(UnwrapFailed):
        provider.unwrap(replace(wrapped, kek_id=provider.current_kek_id), owner="c")


def test_tampered_wrapped_key_fails(provider: FakeKeyProvider) -> None:
    wrapped = provider.wrap(DEK, owner="c")
    for position in range(len(wrapped.blob)):
        blob = bytearray(wrapped.blob)
        blob[position] ^= 0x80
        with pytest.raises(UnwrapFailed):
            provider.unwrap(replace(wrapped, blob=bytes(blob)), owner="c")
    with pytest.raises(UnwrapFailed):
        provider.unwrap(replace(wrapped, blob=wrapped.blob[:-1]), owner="c")


def test_unknown_kek(provider: FakeKeyProvider) -> None:
    with pytest.raises(UnknownKek):
        provider.unwrap(WrappedKey(kek_id="kek-9999-deadbeef", blob=bytes(61)), owner="c")


def test_wrap_refuses_a_key_of_the_wrong_length(provider: FakeKeyProvider) -> None:
    with pytest.raises(VaultUsageError):
        provider.wrap(bytes(16), owner="c")


def test_hmac_keys_are_separate_per_purpose_and_stable(provider: FakeKeyProvider) -> None:
    purposes = ["blind_index", "blind_index.id_number", "blind_index.phone", "pairwise_subject"]
    keys = [provider.hmac_key(p) for p in purposes]
    assert len(set(keys)) == len(purposes)
    assert all(len(k) == 32 for k in keys)
    assert keys == [provider.hmac_key(p) for p in purposes]


def test_signing_and_hmac_derivations_do_not_collide(provider: FakeKeyProvider) -> None:
    signing_seed = provider.signing_key("transparency_log").private_bytes_raw()
    assert signing_seed != provider.hmac_key("transparency_log")
    assert public_hex(provider.signing_key("transparency_log")) != public_hex(provider.signing_key("other"))


def test_signing_key_signs_and_verifies(provider: FakeKeyProvider) -> None:
    key = provider.signing_key("transparency_log")
    signature = key.sign(b"tree head")
    provider.signing_key("transparency_log").public_key().verify(signature, b"tree head")


def test_purpose_keys_differ_between_keyrings() -> None:
    a, b = FakeKeyProvider(seed=b"a"), FakeKeyProvider(seed=b"b")
    assert a.hmac_key("blind_index") != b.hmac_key("blind_index")


@pytest.mark.parametrize("purpose", ["", "Blind_Index", "a b", "x" * 65, "émoji", None])
def test_bad_purpose_names_are_refused(provider: FakeKeyProvider, purpose: object) -> None:
    with pytest.raises(VaultUsageError):
        provider.hmac_key(purpose)  # type: ignore[arg-type]


def test_fake_randomness_is_pinned_by_seed() -> None:
    first, second = FakeKeyProvider(seed=b"s"), FakeKeyProvider(seed=b"s")
    assert first.current_kek_id == second.current_kek_id
    assert first.wrap(DEK, owner="c") == second.wrap(DEK, owner="c")
    assert FakeKeyProvider(seed=b"t").current_kek_id != first.current_kek_id


def test_rotation_keeps_old_keks_until_retired(provider: FakeKeyProvider) -> None:
    old_id = provider.current_kek_id
    old = provider.wrap(DEK, owner="c")
    new_id = provider.rotate_kek()
    assert new_id != old_id and provider.current_kek_id == new_id
    assert provider.kek_ids == (old_id, new_id)
    assert provider.unwrap(old, owner="c") == DEK
    assert provider.wrap(DEK, owner="c").kek_id == new_id
    with pytest.raises(KekInUse):
        provider.retire_kek(new_id)
    provider.retire_kek(old_id)
    assert provider.kek_ids == (new_id,)
    with pytest.raises(UnknownKek):
        provider.unwrap(old, owner="c")
    with pytest.raises(UnknownKek):
        provider.retire_kek(old_id)


def test_keyring_json_round_trip() -> None:
    ring = vector_ring().rotated(_Counter())
    again = Keyring.from_json(ring.to_json())
    assert again == ring


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def token_bytes(self, nbytes: int) -> bytes:
        self.n += 1
        return bytes([self.n]) * nbytes


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("root_secret"),
        lambda d: d.update(format="other"),
        lambda d: d.update(current_kek_id="missing"),
        lambda d: d.update(root_secret="not base64!"),
        lambda d: d.update(root_secret="AAAA"),
        lambda d: d.update(keks=[]),
    ],
)
def test_malformed_keyring_json_is_refused(mutate) -> None:
    data = vector_ring().to_json()
    mutate(data)
    with pytest.raises(KeyringInvalid):
        Keyring.from_json(data)
