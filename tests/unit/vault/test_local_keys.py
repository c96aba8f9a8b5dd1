from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicid.vault.datakeys import create_data_key, open_data_key
from civicid.vault.errors import KekInUse, KeyFilePermissions, KeyringInvalid, UnknownKek
from civicid.vault.fakes import DeterministicRandom
from civicid.vault.interfaces import RotatingKeyProvider
from civicid.vault.local_keys import LocalKeyProvider


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Creation must not rely on the umask for its 0600/0700 modes."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def keyring_path(home: Path) -> Path:
    return home / "keys" / "keyring.json"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_creates_a_0600_keyring_in_a_0700_dir(
    tmp_path: Path, permissive_umask: None
) -> None:
    provider = LocalKeyProvider(tmp_path / "home")
    path = keyring_path(tmp_path / "home")
    assert provider.path == path
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert isinstance(provider, RotatingKeyProvider)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("bad_mode", [0o644, 0o660, 0o640, 0o604, 0o602, 0o620])
def test_refuses_a_keyring_open_to_group_or_others(tmp_path: Path, bad_mode: int) -> None:
    LocalKeyProvider(tmp_path)
    path = keyring_path(tmp_path)
    path.chmod(bad_mode)
    with pytest.raises(KeyFilePermissions) as raised:
        LocalKeyProvider(tmp_path)
    error = raised.value
    assert error.code == "vault.key_file_permissions"
    assert error.status == 500
    assert str(path) in error.message
    assert f"chmod 600 {path}" in error.message
    assert error.detail["fix"] == f"chmod 600 {path}"
    assert error.detail["mode"] == f"{bad_mode:04o}"


def test_owner_read_only_keyring_is_accepted(tmp_path: Path) -> None:
    first = LocalKeyProvider(tmp_path)
    keyring_path(tmp_path).chmod(0o400)
    assert LocalKeyProvider(tmp_path).current_kek_id == first.current_kek_id


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    first = LocalKeyProvider(tmp_path)
    issued = create_data_key(first, owner="citizen-1")
    second = LocalKeyProvider(tmp_path)
    assert second.current_kek_id == first.current_kek_id
    assert open_data_key(second, issued.wrapped, owner="citizen-1") == issued.dek
    assert second.hmac_key("blind_index.id_number") == first.hmac_key("blind_index.id_number")


def test_signing_key_is_stable_across_instances(tmp_path: Path) -> None:
    signature = LocalKeyProvider(tmp_path).signing_key("transparency_log").sign(b"tree head 1")
    public = LocalKeyProvider(tmp_path).signing_key("transparency_log").public_key()
    public.verify(signature, b"tree head 1")  # raises InvalidSignature if the key changed


def test_separate_homes_have_separate_keys(tmp_path: Path) -> None:
    a, b = LocalKeyProvider(tmp_path / "a"), LocalKeyProvider(tmp_path / "b")
    assert a.hmac_key("blind_index") != b.hmac_key("blind_index")
    assert a.hmac_key("blind_index") != a.hmac_key("pairwise_subject")


def test_keyring_file_never_contains_a_data_key(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    deks = [bytes(create_data_key(provider, owner=f"citizen-{i}").dek) for i in range(20)]
    provider.rotate_kek()
    deks += [bytes(create_data_key(provider, owner=f"late-{i}").dek) for i in range(5)]
    raw = keyring_path(tmp_path).read_bytes()
    for dek in deks:
        for encoding in (dek, dek.hex().encode(), base64.b64encode(dek), base64.urlsafe_b64encode(dek)):
            assert encoding not in raw
    assert set(json.loads(raw)) == {"format", "root_secret", "current_kek_id", "serial", "keks"}


def test_rotation_is_persisted_and_old_keys_still_open(
    tmp_path: Path, permissive_umask: None
) -> None:
    provider = LocalKeyProvider(tmp_path, rng=DeterministicRandom(b"local"))
    old_id = provider.current_kek_id
    issued = create_data_key(provider, owner="c")
    new_id = provider.rotate_kek()
    assert mode(keyring_path(tmp_path)) == 0o600
    reopened = LocalKeyProvider(tmp_path)
    assert reopened.current_kek_id == new_id
    assert reopened.kek_ids == (old_id, new_id)
    assert open_data_key(reopened, issued.wrapped, owner="c") == issued.dek
    assert create_data_key(reopened, owner="d").wrapped.kek_id == new_id
    assert [p.name for p in keyring_path(tmp_path).parent.iterdir() if p.name.endswith(".tmp")] == []


def test_retire(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path)
    old_id = provider.current_kek_id
    issued = create_data_key(provider, owner="c")
    new_id = provider.rotate_kek()
    with pytest.raises(KekInUse):
        provider.retire_kek(new_id)
    provider.retire_kek(old_id)
    reopened = LocalKeyProvider(tmp_path)
    assert reopened.kek_ids == (new_id,)
    with pytest.raises(UnknownKek):
        open_data_key(reopened, issued.wrapped, owner="c")


def test_a_running_instance_sees_rotation_done_by_another(tmp_path: Path) -> None:
    server = LocalKeyProvider(tmp_path)
    admin = LocalKeyProvider(tmp_path)
    new_id = admin.rotate_kek()
    issued = create_data_key(admin, owner="c")
    assert open_data_key(server, issued.wrapped, owner="c") == issued.dek
    assert server.current_kek_id == new_id
    assert server.wrap(bytes(32), owner="x").kek_id == new_id


def test_rotations_from_two_instances_are_both_kept(tmp_path: Path) -> None:
    a, b = LocalKeyProvider(tmp_path), LocalKeyProvider(tmp_path)
    first = a.rotate_kek()
    second = b.rotate_kek()  # b has not refreshed; it must still build on a's rotation
    assert LocalKeyProvider(tmp_path).kek_ids[-2:] == (first, second)


def test_malformed_keyring_file_is_a_typed_error(tmp_path: Path) -> None:
    LocalKeyProvider(tmp_path)
    keyring_path(tmp_path).write_text("{not json")
    with pytest.raises(KeyringInvalid):
        LocalKeyProvider(tmp_path)


def test_keyring_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    keyring_path(tmp_path).mkdir(parents=True)
    with pytest.raises(KeyringInvalid):
        LocalKeyProvider(tmp_path)


def test_random_source_is_injected(tmp_path: Path) -> None:
    a = LocalKeyProvider(tmp_path / "a", rng=DeterministicRandom(b"pinned"))
    b = LocalKeyProvider(tmp_path / "b", rng=DeterministicRandom(b"pinned"))
    assert a.current_kek_id == b.current_kek_id
    assert a.hmac_key("blind_index") == b.hmac_key("blind_index")
