"""Every blob too short to hold version, nonce and tag is a typed ``DecryptFailed``, whatever its
first byte: never the ``ValueError`` AES-GCM raises for a short nonce, never an ``IndexError``."""

from __future__ import annotations

import pytest

from civicid.errors import CivicIDError
from civicid.vault.envelope import decrypt_field, encrypt_field
from civicid.vault.errors import DecryptFailed

KEY = bytes(range(32))
WHERE = dict(table="citizen", column="name", row_id="7")


@pytest.mark.parametrize("first_byte", [0x01, 0x00, 0xFF])
@pytest.mark.parametrize("length", range(0, 30))
def test_every_length_from_0_to_29_is_decrypt_failed(length: int, first_byte: int) -> None:
    blob = (bytes([first_byte]) + bytes(range(1, 29)))[:length]
    assert len(blob) == length
    with pytest.raises(CivicIDError) as raised:
        decrypt_field(KEY, blob, **WHERE)
    assert type(raised.value) is DecryptFailed
    assert not isinstance(raised.value, ValueError)
    assert raised.value.code == "vault.decrypt_failed"


@pytest.mark.parametrize("length", range(0, 30))
def test_a_genuine_blob_cut_to_any_length_up_to_29_is_decrypt_failed(length: int) -> None:
    blob = encrypt_field(KEY, b"", **WHERE)  # 1 + 12 + 16 = 29 bytes: the shortest genuine blob
    assert len(blob) == 29
    assert decrypt_field(KEY, blob, **WHERE) == b""
    cut = blob[:length]
    if length == 29:
        cut = cut[:-1] + bytes([cut[-1] ^ 1])  # full length, but the tag no longer matches
    with pytest.raises(DecryptFailed):
        decrypt_field(KEY, cut, **WHERE)
