"""``civicid registry add --birth-date``, ``list`` and ``remove`` on a real CIVICID_HOME (SQLite file,
local key file): the birth date is the number's, list decrypts through the vault, remove shreds."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from typer.testing import CliRunner

from civicid.cli.main import app
from civicid.ids import parse_id_number

runner = CliRunner()
TODAY = date(2100, 1, 1)  # parse_id_number only needs a day after every birth date here
NUMBER_1949 = "11010519491231002X"  # a valid number of someone born on 1949-12-31


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CIVICID_HOME", str(tmp_path))
    for name in ("CIVICID_DATABASE_URL", "CIVICID_DEMO", "CIVICID_REGISTRY_URL", "CIVICID_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def photo(tmp_path):
    from PIL import Image

    path = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 64), (120, 90, 60)).save(path, "JPEG")
    return path


def run(*args: str, code: int = 0) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_add_with_a_birth_date_generates_a_number_that_encodes_it(home, photo):
    added = run("registry", "add", "--photo", str(photo), "--name", "Li Ming", "--birth-date", "1987-02-28")
    assert added["birth_date"] == "1987-02-28"
    assert parse_id_number(added["id_number"], today=TODAY).birth_date == date(1987, 2, 28)


def test_add_with_a_number_and_its_own_birth_date(home, photo):
    added = run("registry", "add", "--photo", str(photo), "--name", "Wang Fang", "--id-number", NUMBER_1949,
                "--birth-date", "1949-12-31")
    assert added == {"id_number": NUMBER_1949, "name": "Wang Fang", "birth_date": "1949-12-31"}


@pytest.mark.parametrize(("extra", "code"), [
    (("--id-number", NUMBER_1949, "--birth-date", "1950-01-01"), "registry.birth_date_mismatch"),
    (("--birth-date", "1987-02-30"), "request.invalid"),
    (("--birth-date", "31/12/1949"), "request.invalid"),
    (("--birth-date", "1899-12-31"), "id_number.birth_date"),
    (("--birth-date", "2999-01-01"), "id_number.birth_date"),
])
def test_add_refuses_a_birth_date_it_cannot_use(home, photo, extra, code):
    error = run("registry", "add", "--photo", str(photo), "--name", "X Y", *extra, code=2)["error"]
    assert error["code"] == code
    assert "1949" not in error["message"] and "1950" not in error["message"]  # no personal data echoed
    assert run("registry", "list")["people"] == []


def test_list_decrypts_through_the_vault_and_masks_numbers_in_the_table(home, photo):
    first = run("registry", "add", "--photo", str(photo), "--name", "张晓明", "--birth-date", "1990-03-07")
    second = run("registry", "add", "--photo", str(photo), "--name", "Maria Silva", "--id-number", NUMBER_1949)
    people = run("registry", "list")["people"]
    assert [(p["name"], p["id_number"], p["birth_date"], p["enrolled"]) for p in people] == [
        ("张晓明", first["id_number"], "1990-03-07", False), ("Maria Silva", NUMBER_1949, "1949-12-31", False)]

    table = runner.invoke(app, ["registry", "list"])
    assert table.exit_code == 0, table.output
    assert "Maria Silva" in table.output and "11**************2X" in table.output
    assert NUMBER_1949 not in table.output and first["id_number"] not in table.output
    full = runner.invoke(app, ["registry", "list", "--full"])
    assert NUMBER_1949 in full.output

    raw = b"".join(path.read_bytes() for path in home.glob("civicid.db*"))
    assert b"Maria Silva" not in raw and NUMBER_1949.encode() not in raw and b"1949-12-31" not in raw


def test_list_says_which_numbers_have_a_civicid(home, photo):
    from civicid.identity.service import CitizenService
    from civicid.registry.interfaces import RegistryRecord
    from civicid.runtime import build_runtime
    from civicid.settings import Settings

    run("registry", "add", "--photo", str(photo), "--name", "Maria Silva", "--id-number", NUMBER_1949)
    other = run("registry", "add", "--photo", str(photo), "--name", "Li Ming")
    runtime = build_runtime(Settings())
    try:
        with runtime.transaction() as session:
            CitizenService(session, runtime.vault(session), runtime.clock).create(
                RegistryRecord(id_number=NUMBER_1949, name="Maria Silva", birth_date=date(1949, 12, 31), sex="F",
                               photo=b""), verification="face-liveness")
    finally:
        runtime.close()
    enrolled = {p["id_number"]: p["enrolled"] for p in run("registry", "list")["people"]}
    assert enrolled == {NUMBER_1949: True, other["id_number"]: False}


def test_remove_shreds_the_person_and_then_reports_not_found(home, photo):
    run("registry", "add", "--photo", str(photo), "--name", "Maria Silva", "--id-number", NUMBER_1949)
    kept = run("registry", "add", "--photo", str(photo), "--name", "Li Ming")
    keys_before = sqlite3.connect(home / "civicid.db").execute("SELECT count(*) FROM data_keys").fetchone()[0]

    # any accepted spelling of the number: lowercase x, spaces
    assert run("registry", "remove", "--id-number", "110105 19491231 002x") == {
        "removed": True, "id_number": NUMBER_1949}
    assert [p["id_number"] for p in run("registry", "list")["people"]] == [kept["id_number"]]
    db = sqlite3.connect(home / "civicid.db")
    assert db.execute("SELECT count(*) FROM data_keys").fetchone()[0] == keys_before - 1
    assert db.execute("SELECT count(*) FROM registry_persons").fetchone()[0] == 1

    assert run("registry", "remove", "--id-number", NUMBER_1949, code=2)["error"]["code"] == "registry.not_found"
    assert run("registry", "remove", "--id-number", "123", code=2)["error"]["code"] == "id_number.length"


@pytest.mark.parametrize("env", [{"CIVICID_DEMO": "false"}, {"CIVICID_REGISTRY_URL": "https://registry.example"}])
@pytest.mark.parametrize("command", [("list",), ("remove", "--id-number", NUMBER_1949), ("add", "--name", "X Y")])
def test_the_commands_refuse_when_the_demo_registry_is_not_the_service_registry(home, photo, monkeypatch, env,
                                                                                 command):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = [*command, "--photo", str(photo)] if command[0] == "add" else list(command)
    assert run("registry", *args, code=2)["error"]["code"] == "registry.demo_only"
    assert not list(home.glob("civicid.db*"))  # refused before the database was opened
