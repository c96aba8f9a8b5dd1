"""Shared fixtures: where the real test data is, and how to behave when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA_HINT = (
    "the shared test data was not found at {path}. Put the CivicID shared folder beside this "
    "checkout (../shared/data) or point CIVICID_DATA at it."
)


def data_root() -> Path:
    return Path(os.environ.get("CIVICID_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")).resolve()


def require_data(*parts: str) -> Path:
    """Path to shared data; skips when missing, but fails under CI=true where data must exist."""
    path = data_root().joinpath(*parts)
    if not path.exists():
        message = DATA_HINT.format(path=path)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and " + message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return require_data("faces")


@pytest.fixture(scope="session")
def lfw_dir() -> Path:
    return require_data("lfw_view1")


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    return require_data("videos")
