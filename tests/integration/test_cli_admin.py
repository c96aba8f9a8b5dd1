"""The admin commands on a real CIVICID_HOME: SQLite file, local key file, typed exits, --json."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from civicid.cli.main import app
from tests.conftest import require_data
from tests.support.harness import CLM

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CIVICID_HOME", str(tmp_path))
    monkeypatch.delenv("CIVICID_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str, code: int = 0):
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def test_registry_import_and_add(home, faces_dir):
    created = json.loads(run("registry", "import", str(faces_dir), "--seed", "1", "--json").stdout)["created"]
    assert len(created) == len([p for p in (faces_dir / "images").iterdir() if p.is_dir()])
    added = json.loads(run("registry", "add", "--photo", str(faces_dir / "multi" / "einstein.jpeg"),
                           "--name", "Albert Einstein", "--json").stdout)
    assert len(added["id_number"]) == 18
    duplicate = run("registry", "add", "--photo", str(faces_dir / "multi" / "einstein.jpeg"), "--name", "A",
                    "--id-number", added["id_number"], "--json", code=2)
    assert json.loads(duplicate.stdout)["error"]["code"] == "registry.duplicate"
    bad = run("registry", "add", "--photo", str(faces_dir / "multi" / "einstein.jpeg"), "--name", "A",
              "--id-number", "123", "--json", code=2)
    assert json.loads(bad.stdout)["error"]["code"] == "id_number.length"
    assert (home / "keys" / "keyring.json").stat().st_mode & 0o777 == 0o600


def test_partner_and_staff_secrets_are_shown_once_and_stored_hashed(home):
    partner = json.loads(run("partners", "add", "Example Mobile", "--json").stdout)
    staff = json.loads(run("staff", "add", "--name", "Officer Chen", "--role", "registry_officer", "--json").stdout)
    raw = b"".join(path.read_bytes() for path in home.glob("civicid.db*"))
    assert partner["client_id"].encode() in raw
    assert partner["client_secret"].encode() not in raw and staff["token"].encode() not in raw
    run("staff", "add", "--name", "X", "--role", "superuser", code=2)


def test_kek_rotation_resumes_after_an_interruption(home, faces_dir, monkeypatch):
    run("registry", "import", str(faces_dir), "--seed", "2", "--json")
    import civicid.vault.rotation as rotation

    real_rewrap = rotation.rewrap_all

    def interrupted(store, provider, **kwargs):
        kwargs["batch_size"] = 10
        calls = {"n": 0}

        def progress(report):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt

        return real_rewrap(store, provider, batch_size=10, progress=progress)

    monkeypatch.setattr("civicid.cli.keys.rewrap_all", interrupted)
    result = runner.invoke(app, ["keys", "rotate", "--json"])
    assert result.exit_code != 0
    keks = {row[0] for row in sqlite3.connect(home / "civicid.db").execute("SELECT kek_id FROM data_keys")}
    assert len(keks) == 2  # half re-wrapped, half not
    monkeypatch.setattr("civicid.cli.keys.rewrap_all", real_rewrap)
    resumed = json.loads(run("keys", "rotate", "--resume", "--json").stdout)
    keks = {row[0] for row in sqlite3.connect(home / "civicid.db").execute("SELECT kek_id FROM data_keys")}
    assert keks == {resumed["kek_id"]} and resumed["rewrapped"] > 0
    run("registry", "add", "--photo", str(faces_dir / "multi" / "einstein.jpeg"), "--name", "After Rotation")


def test_enrol_from_video_then_audit_verify_catches_tampering(home, faces_dir):
    clip = require_data("videos", CLM)
    from tests.support.clips import still

    photo = home / "registry.jpg"
    photo.write_bytes(still(clip, 3.0))
    person = json.loads(run("registry", "add", "--photo", str(photo), "--name", "Li Ming", "--json").stdout)
    enrolled = json.loads(run("enrol", "--id-number", person["id_number"], "--name", "li ming", "--video", str(clip),
                              "--end", "2.8", "--actions", "turn_right,turn_left", "--json").stdout)
    assert enrolled["decision"] == "enrolled" and len(enrolled["network_id"]) == 26
    again = json.loads(run("enrol", "--id-number", person["id_number"], "--name", "Li Ming", "--video", str(clip),
                           "--end", "2.8", "--actions", "turn_right,turn_left", "--json", code=2).stdout)
    assert again["error"]["code"] == "enrolment.already_enrolled"

    saved = home / "head.json"
    saved.write_text(run("audit", "sth").stdout)
    verified = json.loads(run("audit", "verify", "--since-sth", str(saved), "--json").stdout)
    assert verified["ok"] is True and verified["tree_size"] >= 1
    assert (verified["pending"], verified["oldest_pending_age_s"]) == (0, None)  # the CLI sequences at commit
    with sqlite3.connect(home / "civicid.db") as db:
        db.execute("UPDATE audit_entries SET data = CAST('{}' AS BLOB) WHERE idx = 0")
    report = json.loads(run("audit", "verify", "--json", code=1).stdout)
    assert report["ok"] is False and report["first_bad_index"] == 0
