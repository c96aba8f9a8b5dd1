import pytest
from pydantic import ValidationError

from civicid.settings import Settings


def test_development_defaults_use_sqlite_under_home(tmp_path):
    settings = Settings(home=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/civicid.db"


@pytest.mark.parametrize("secret", [None, "changeme", "short-but-not-placeholder"])
def test_production_refuses_placeholder_or_short_secret(secret):
    with pytest.raises(ValidationError, match="CIVICID_SESSION_SECRET"):
        Settings(environment="production", session_secret=secret, database_url="postgresql://x/y")


def test_production_requires_a_database_url():
    with pytest.raises(ValidationError, match="CIVICID_DATABASE_URL"):
        Settings(environment="production", session_secret="x" * 40)


def test_home_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CIVICID_HOME", str(tmp_path / "state"))
    assert Settings().home == tmp_path / "state"
