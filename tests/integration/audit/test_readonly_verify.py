"""``civicid audit verify`` on an auditor's forensic copy: a read-only directory (or file system),
a PostgreSQL session that refuses writes, or no keyring at all (only the published first key).
It must verify, find tampering, and leave every byte of the copy as it was."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.audit.events import EventTag
from civicid.audit.signing import anchor_key, rotate_log_key
from civicid.audit.log_keys import raw_public_key
from civicid.cli.main import app
from civicid.clock import FixedClock
from civicid.runtime import build_runtime
from civicid.settings import Settings

CLOCK = FixedClock(datetime(2026, 11, 3, 12, 0, tzinfo=timezone.utc))
runner = CliRunner()


def _fill(settings: Settings, count: int = 9) -> bytes:
    """A home (database and keyring) with ``count`` entries and a key rotation after 5; returns the
    first log key, raw."""
    runtime = build_runtime(settings, clock=CLOCK)
    for i in range(count):
        with runtime.transaction() as session:
            runtime.access_log(session).record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1",
                                               citizen_id=f"c{i % 3}", purpose=f"check {i}")
        if i == 4:
            with runtime.transaction() as session:
                rotate_log_key(session, runtime.keys)
    if runtime.engine is not None:
        runtime.engine.dispose()
    return raw_public_key(anchor_key(runtime.keys))


def _fingerprint(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@contextmanager
def _read_only(path: Path):
    """``path`` as a directory nobody may write to: permissions for a normal user, a read-only
    bind mount for root (whom permissions do not stop)."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
        for p in sorted(modes, reverse=True):
            os.chmod(p, 0o500 if p.is_dir() else 0o400)
        try:
            yield path
        finally:
            for p, mode in modes.items():
                os.chmod(p, mode)
        return
    mount = path.with_name(path.name + "-ro")
    mount.mkdir()
    done = subprocess.run(["mount", "--bind", str(path), str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("running as root without the right to bind-mount a read-only copy")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)], capture_output=True).returncode != 0:
            pytest.skip("running as root without the right to remount read-only")
        with pytest.raises(OSError):
            (mount / "probe").write_bytes(b"")
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _verify(monkeypatch, home: Path, *args: str, url: str | None = None):
    monkeypatch.setenv("CIVICID_HOME", str(home))
    if url is None:
        monkeypatch.delenv("CIVICID_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("CIVICID_DATABASE_URL", url)
    result = runner.invoke(app, ["audit", "verify", "--json", *args])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip().startswith("{") else result.output


@pytest.fixture
def copy(tmp_path, monkeypatch):
    """The auditor's copy of a home: database and keyring, taken after the service stopped."""
    monkeypatch.delenv("CIVICID_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    anchor = _fill(Settings(home=home))
    forensic = tmp_path / "copy"
    shutil.copytree(home, forensic)
    return forensic, anchor


def test_a_read_only_copy_verifies_and_is_not_changed(copy, monkeypatch):
    forensic, _ = copy
    before = _fingerprint(forensic)
    with _read_only(forensic) as read_only:
        code, report = _verify(monkeypatch, read_only)
        assert code == 0, report
        assert report["ok"] is True and report["tree_size"] == 9 and report["outbox_checked"] is True
    assert _fingerprint(forensic) == before


def test_a_tampered_read_only_copy_names_the_first_bad_entry(copy, monkeypatch):
    forensic, _ = copy
    with sqlite3.connect(forensic / "civicid.db") as db:
        db.execute("UPDATE audit_entries SET timestamp_ms = timestamp_ms + 1 WHERE idx = 3")
    db.close()
    with _read_only(forensic) as read_only:
        code, report = _verify(monkeypatch, read_only)
    assert code == 1
    assert report["first_bad_index"] == 3 and [p["code"] for p in report["problems"]] == ["audit.bad_signature"]


def test_without_the_keyring_the_published_first_key_verifies(copy, monkeypatch):
    forensic, anchor = copy
    shutil.rmtree(forensic / "keys")
    with _read_only(forensic) as read_only:
        code, report = _verify(monkeypatch, read_only, "--public-key", base64.b64encode(anchor).decode())
        assert code == 0, report
        assert report["ok"] is True and report["outbox_checked"] is False
        other = base64.b64encode(bytes(range(32))).decode()  # some other valid-looking key
        code, report = _verify(monkeypatch, read_only, "--public-key", other)
        assert code in (1, 2)
        code, report = _verify(monkeypatch, read_only, "--public-key", "not base64!")
        assert code == 2 and report["error"]["code"] == "audit.invalid_public_key"
        code, report = _verify(monkeypatch, read_only)  # and no keyring is created
        assert code == 2 and report["error"]["code"] == "vault.keyring_invalid"
    assert not (forensic / "keys").exists()


def test_a_copy_at_another_schema_revision_is_a_typed_error(copy, monkeypatch):
    forensic, _ = copy
    with sqlite3.connect(forensic / "civicid.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0001'")
    db.close()
    with _read_only(forensic) as read_only:
        code, report = _verify(monkeypatch, read_only)
    assert code == 2 and report["error"]["code"] == "audit.schema_mismatch"


def test_a_postgresql_session_that_refuses_writes_verifies(tmp_path, monkeypatch):
    import sqlalchemy as sa

    from tests.conftest import fresh_postgres_database

    url = fresh_postgres_database("audit_ro")
    home = tmp_path / "home"
    _fill(Settings(home=home, database_url=url))
    read_only = sa.make_url(url).update_query_dict({"options": "-c default_transaction_read_only=on"})
    code, report = _verify(monkeypatch, home, url=read_only.render_as_string(hide_password=False))
    assert code == 0, report
    assert report["ok"] is True and report["tree_size"] == 9
