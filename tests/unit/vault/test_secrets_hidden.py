"""Key bytes never show up in repr, str, error messages or logs."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from civicid.vault.datakeys import create_data_key, open_data_key
from civicid.vault.errors import KeyringInvalid, UnwrapFailed
from civicid.vault.fakes import FakeKeyProvider
from civicid.vault.local_keys import LocalKeyProvider


def encodings(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode(), repr(secret)[2:-1]]


def assert_hidden(text: str, secrets: list[bytes]) -> None:
    for secret in secrets:
        for encoded in encodings(secret):
            assert encoded not in text, f"secret leaked into {text!r}"


def local_secrets(home: Path) -> list[bytes]:
    data = json.loads((home / "keys" / "keyring.json").read_text())
    return [base64.b64decode(data["root_secret"])] + [base64.b64decode(v) for v in data["keks"].values()]


def test_reprs_hide_key_material(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provider = LocalKeyProvider(tmp_path)
    provider.rotate_kek()
    issued = create_data_key(provider, owner="citizen-1")
    dek = open_data_key(provider, issued.wrapped, owner="citizen-1")
    secrets = local_secrets(tmp_path) + [
        bytes(dek),
        provider.hmac_key("blind_index"),
        provider.signing_key("transparency_log").private_bytes_raw(),
        issued.wrapped.blob,
    ]
    shown = [provider, issued, issued.dek, dek, issued.wrapped, provider._ring]
    for obj in shown:
        assert_hidden(repr(obj), secrets)
        assert_hidden(str(obj), secrets)
    assert "citizen-1" not in repr(issued)
    assert_hidden(caplog.text, secrets)


def test_fake_provider_repr_hides_key_material() -> None:
    provider = FakeKeyProvider()
    ring = provider._ring
    secrets = [ring.root_secret, *ring.keks.values()]
    assert_hidden(repr(provider), secrets)
    assert_hidden(repr(ring), secrets)


def test_errors_do_not_carry_key_material(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    issued = create_data_key(provider, owner="a")
    with pytest.raises(UnwrapFailed) as raised:
        open_data_key(provider, issued.wrapped, owner="b")
    error_text = json.dumps(raised.value.to_json()) + str(raised.value)
    assert_hidden(error_text, local_secrets(tmp_path) + [bytes(issued.dek), issued.wrapped.blob])


def test_malformed_keyring_error_does_not_echo_the_file(tmp_path: Path) -> None:
    LocalKeyProvider(tmp_path)
    path = tmp_path / "keys" / "keyring.json"
    secrets = local_secrets(tmp_path)
    data = json.loads(path.read_text())
    data["format"] = "something-else"
    path.write_text(json.dumps(data))
    with pytest.raises(KeyringInvalid) as raised:
        LocalKeyProvider(tmp_path)
    assert_hidden(json.dumps(raised.value.to_json()) + str(raised.value), secrets)
