from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.vault.datakeys import DataKey
from civicid.vault.envelope import NONCE_BYTES, decrypt_field, encrypt_field, field_aad
from civicid.vault.errors import DecryptFailed, VaultUsageError
from civicid.vault.fakes import DeterministicRandom

from .conftest import FixedBytes, load_vectors

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
WHERE = dict(table="citizen", column="id_number", row_id="42")
VECTORS = load_vectors("envelope_v1.json")["cases"]


@pytest.mark.parametrize("case", VECTORS, ids=lambda c: f"{c['table']}.{c['column']}")
def test_vector_encrypts_to_the_stored_blob(case: dict) -> None:
    where = dict(table=case["table"], column=case["column"], row_id=case["row_id"])
    plaintext = case["plaintext_utf8"].encode()
    key = bytes.fromhex(case["key"])
    nonce = bytes.fromhex(case["nonce"])
    blob = encrypt_field(key, plaintext, **where, rng=FixedBytes(nonce))
    assert blob.hex() == case["blob"]
    assert field_aad(**where).hex() == case["aad"]
    # The format is plain AES-256-GCM over the spelled-out AAD: rebuild it without the vault.
    assert blob == b"\x01" + nonce + AESGCM(key).encrypt(nonce, plaintext, bytes.fromhex(case["aad"]))
    assert decrypt_field(key, bytes.fromhex(case["blob"]), **where) == plaintext


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(max_size=2048), row_id=st.one_of(st.text(min_size=1), st.integers()))
def test_round_trip(plaintext: bytes, row_id: str | int) -> None:
    blob = encrypt_field(KEY, plaintext, table="t", column="c", row_id=row_id)
    assert decrypt_field(KEY, blob, table="t", column="c", row_id=row_id) == plaintext
    assert len(blob) == 1 + NONCE_BYTES + len(plaintext) + 16


def test_data_key_object_and_raw_bytes_are_interchangeable() -> None:
    blob = encrypt_field(DataKey(KEY), b"Ada", **WHERE)
    assert decrypt_field(KEY, blob, **WHERE) == b"Ada"


@pytest.mark.parametrize(
    "moved",
    [
        dict(table="citizen", column="id_number", row_id="43"),
        dict(table="citizen", column="full_name", row_id="42"),
        dict(table="citizen_archive", column="id_number", row_id="42"),
    ],
    ids=["other row", "other column", "other table"],
)
def test_ciphertext_moved_elsewhere_does_not_decrypt(moved: dict) -> None:
    blob = encrypt_field(KEY, b"11010519491231002X", **WHERE)
    with pytest.raises(DecryptFailed):
        decrypt_field(KEY, blob, **moved)


def test_aad_parts_cannot_be_shifted_between_table_and_column() -> None:
    blob = encrypt_field(KEY, b"x", table="ab", column="c", row_id="1")
    assert field_aad(table="ab", column="c", row_id="1") != field_aad(table="a", column="bc", row_id="1")
    with pytest.raises(DecryptFailed):
        decrypt_field(KEY, blob, table="a", column="bc", row_id="1")


def test_integer_and_string_row_ids_name_the_same_row() -> None:
    blob = encrypt_field(KEY, b"x", table="t", column="c", row_id=7)
    assert decrypt_field(KEY, blob, table="t", column="c", row_id="7") == b"x"


def test_wrong_key_fails() -> None:
    blob = encrypt_field(KEY, b"Ada Lovelace", **WHERE)
    with pytest.raises(DecryptFailed) as raised:
        decrypt_field(OTHER_KEY, blob, **WHERE)
    assert raised.value.code == "vault.decrypt_failed"
    assert raised.value.status == 500


def test_every_flipped_byte_is_detected() -> None:
    blob = encrypt_field(KEY, b"Ada Lovelace", **WHERE)
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptFailed):
            decrypt_field(KEY, bytes(tampered), **WHERE)


@pytest.mark.parametrize("cut", [0, 1, 12, 28, 29])
def test_truncated_blob_fails(cut: int) -> None:
    blob = encrypt_field(KEY, b"Ada", **WHERE)
    with pytest.raises(DecryptFailed):
        decrypt_field(KEY, blob[:cut], **WHERE)


def test_appended_bytes_fail() -> None:
    blob = encrypt_field(KEY, b"Ada", **WHERE)
    with pytest.raises(DecryptFailed):
        decrypt_field(KEY, blob + b"\x00", **WHERE)


def test_nonces_are_fresh_for_every_encryption() -> None:
    blobs = [encrypt_field(KEY, b"same plaintext", **WHERE) for _ in range(2000)]
    nonces = {blob[1 : 1 + NONCE_BYTES] for blob in blobs}
    assert len(nonces) == len(blobs)
    assert len(set(blobs)) == len(blobs)


def test_nonce_comes_from_the_injected_source() -> None:
    first = encrypt_field(KEY, b"x", **WHERE, rng=DeterministicRandom(b"seed"))
    second = encrypt_field(KEY, b"x", **WHERE, rng=DeterministicRandom(b"seed"))
    assert first == second


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(table="", column="c", row_id="1"),
        dict(table="t", column="", row_id="1"),
        dict(table="t", column="c", row_id=""),
        dict(table="t", column="c", row_id=None),
        dict(table="t", column="c", row_id=True),
    ],
)
def test_missing_context_is_a_usage_error(kwargs: dict) -> None:
    with pytest.raises(VaultUsageError):
        encrypt_field(KEY, b"x", **kwargs)


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(31), bytes(33)])
def test_key_of_wrong_length_is_refused(key: bytes) -> None:
    with pytest.raises(VaultUsageError):
        encrypt_field(key, b"x", **WHERE)
    with pytest.raises(VaultUsageError):
        decrypt_field(key, bytes(40), **WHERE)


def test_plaintext_must_be_bytes() -> None:
    with pytest.raises(VaultUsageError):
        encrypt_field(KEY, "Ada", **WHERE)  # type: ignore[arg-type]
