from __future__ import annotations

import pytest

from civicid.vault.blind_index import blind_index
from civicid.vault.errors import VaultUsageError

from .conftest import load_vectors

KEY = bytes(range(32))


@pytest.mark.parametrize("case", load_vectors("blind_index_rfc4231.json")["cases"])
def test_rfc4231_vectors(case: dict) -> None:
    assert blind_index(bytes.fromhex(case["key"]), case["value"]).hex() == case["index"]


def test_same_value_same_index_different_value_different_index() -> None:
    assert blind_index(KEY, "11010519491231002X") == blind_index(KEY, "11010519491231002X")
    assert blind_index(KEY, "11010519491231002X") != blind_index(KEY, "110105194912310021")
    assert len(blind_index(KEY, "11010519491231002X")) == 32


def test_index_depends_on_the_key() -> None:
    assert blind_index(KEY, "11010519491231002X") != blind_index(bytes(32), "11010519491231002X")


def test_index_does_not_contain_the_value() -> None:
    value = "11010519491231002X"
    index = blind_index(KEY, value)
    assert value.encode() not in index and value not in index.hex()


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(31)])
def test_short_key_is_refused(key: bytes) -> None:
    with pytest.raises(VaultUsageError):
        blind_index(key, "x")


def test_empty_value_is_refused() -> None:
    with pytest.raises(VaultUsageError):
        blind_index(KEY, "")
