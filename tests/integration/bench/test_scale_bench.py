"""bench/scale_bench.py at CI size: 10,000 citizens loaded in two runs (the second resumes), then
every measurement on them. Checks what the results say, never how fast (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_DEFAULT, require_data

# One worker runs the module: its fixture loads a database once for all the tests here.
pytestmark = [pytest.mark.postgres, pytest.mark.data, pytest.mark.xdist_group("scale_bench")]
ROOT = Path(__file__).resolve().parents[3]
CITIZENS = 10_000


def _bench(*args: str, url: str, home: Path, out: Path) -> None:
    command = [sys.executable, str(ROOT / "bench" / "scale_bench.py"), "--database-url", url, "--home", str(home),
               "--out", str(out), "--batch-size", "2500", "--no-progress", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    require_data("videos")
    base = sa.make_url(os.environ.get("CIVICID_TEST_POSTGRES_URL", POSTGRES_DEFAULT))
    # Named after the test database and the xdist worker, as every other test database is: two
    # runs on one server (two checkouts, a developer beside CI) never drop each other's.
    name = f"{base.database}_scale_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        psycopg.connect(base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False),
                        connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    home, out = tmp_path_factory.mktemp("scale_home"), tmp_path_factory.mktemp("scale_out")
    _bench("--fresh", "--phase", "load", "--citizens", str(CITIZENS // 2), url=url, home=home, out=out)
    _bench("--citizens", str(CITIZENS), "--name", "scale_ci", "--lookups", "1000", "--enrolments", "2",
           "--verifications", "2", "--signins", "40", "--signin-citizens", "8", "--max-seconds", "15",
           url=url, home=home, out=out)
    assert (out / "scale_ci.png").stat().st_size > 0
    return json.loads((out / "scale_ci.json").read_text())


def test_the_load_resumed_and_holds_every_citizen(result):
    assert result["citizens"] == CITIZENS
    assert result["load"]["resumed_from"] == CITIZENS // 2
    assert result["load"]["loaded_this_run"] == CITIZENS // 2
    assert result["load"]["citizens_per_s"] > 0
    tables = result["size"]["tables"]
    assert tables["citizens"]["rows"] == tables["data_keys"]["rows"] >= CITIZENS
    assert tables["passkeys"]["rows"] >= CITIZENS


def test_the_indexes_are_the_migrations_own(result):
    """Dropped for the load and rebuilt: the catalog says what a fresh migration says (the bench
    reads it from the freshly migrated empty database of the sign-in comparison)."""
    schema = result["schema"]
    assert schema["indexes_and_constraints"] == schema["fresh_migration"]
    assert schema["matches_fresh_migration"] is True
    assert any("uq_citizens_id_number_index" in line for line in schema["indexes_and_constraints"])


def test_sizes_and_lookups(result):
    assert 0 < result["bytes_per_citizen"] < 4096
    assert 0 < result["size"]["bytes_per_citizen_without_passkeys"] < result["bytes_per_citizen"]
    lookup = result["lookup"]
    assert lookup["found"] == lookup["count"] == 1000
    assert lookup["decrypt_checked"] > 0 and lookup["decrypted_and_equal"] == lookup["decrypt_checked"]
    assert 0 < result["lookup_p50_ms"] <= result["lookup_p99_ms"]
    assert result["lookup_sql_only"]["found"] == result["lookup_sql_only"]["count"] == 1000


def test_enrolments_verifications_and_signins_succeed(result):
    assert result["enrolment"]["outcomes"] == {"enrolled": result["enrolment"]["count"]}
    assert result["enrolment"]["count"] >= 1 and result["enrolments_per_s"] > 0
    assert result["verification"]["outcomes"] == {"match": result["verification"]["count"]}
    assert result["verifications_per_s"] > 0
    for label in ("loaded", "empty"):
        assert result["signin"][label]["failed"] == 0
        assert result["signin"][label]["count"] > 0
    assert result["signins_per_s"] > 0 and result["signins_per_s_empty"] > 0
    for field in ("citizens", "bytes_per_citizen", "lookup_p50_ms", "lookup_p99_ms", "signins_per_s",
                  "signins_per_s_empty"):
        assert field in result
