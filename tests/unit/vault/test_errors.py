from __future__ import annotations

import inspect

from civicid.errors import CivicIDError
from civicid.vault import errors


def vault_errors() -> list[type[CivicIDError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, CivicIDError) and cls.__module__ == errors.__name__
    ]


def test_codes_are_stable_unique_and_namespaced() -> None:
    classes = vault_errors()
    codes = {cls.code for cls in classes}
    assert len(codes) == len(classes)
    assert all(code.startswith("vault.") for code in codes)
    assert {
        "vault.decrypt_failed",
        "vault.key_destroyed",
        "vault.key_file_permissions",
        "vault.unwrap_failed",
        "vault.unknown_kek",
    } <= codes


def test_statuses() -> None:
    assert errors.ShreddedKey.status == 410
    assert errors.KekInUse.status == 409
    for cls in (errors.DecryptFailed, errors.UnwrapFailed, errors.UnknownKek,
                errors.KeyFilePermissions, errors.KeyringInvalid, errors.VaultUsageError):
        assert cls.status == 500
        assert issubclass(cls, errors.VaultError)


def test_json_body() -> None:
    assert errors.ShreddedKey().to_json()["error"]["code"] == "vault.key_destroyed"
