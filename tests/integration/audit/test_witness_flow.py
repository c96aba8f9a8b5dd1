"""`civicid audit witness` against the service: it cosigns the growing log, the log publishes the
cosigned checkpoint, and a fork or a stranger's cosignature is refused."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.checkpoint import Checkpoint
from civicid.audit.events import EventTag
from civicid.audit.note import parse_note
from civicid.audit.witness import WitnessRefused, WitnessState, cosigned_at, cosigner_vkey
from civicid.audit.witness_client import LogUnreachable, witness_log

NAME = "witness.example.org/w1"
KEY = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)


def _filled(h, start: int, count: int) -> None:
    with h.runtime.transaction() as session:
        log = h.runtime.access_log(session)
        for i in range(start, start + count):
            log.record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1", citizen_id=f"c{i}", purpose=f"check {i}")
    h.runtime.sequence_log()


def _run(h, state, key=KEY, name=NAME):
    return witness_log(h.client, "http://testserver", log_vkey=h.client.get("/log/vkey").text, name=name, key=key,
                       state_path=state, clock_s=lambda: 1_767_000_000)


def _published(h):
    note = parse_note(h.client.get("/log/cosigned-checkpoint").text)
    return Checkpoint.from_text(note.text).tree_size, cosigned_at(note, name=NAME, public_key=KEY.public_key())


def test_the_witness_cosigns_a_growing_log_and_the_log_publishes_it(harness_factory, tmp_path):
    h = harness_factory(log_witnesses=cosigner_vkey(NAME, KEY.public_key()))
    state = tmp_path / "state.json"
    missing = h.client.get("/log/cosigned-checkpoint")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "audit.no_cosigned_checkpoint"

    _filled(h, 0, 5)
    first = _run(h, state)
    assert first.previous_size is None and first.published and _published(h) == (5, 1_767_000_000)
    _filled(h, 5, 7)
    second = _run(h, state)
    assert (second.previous_size, WitnessState.load(state).tree_size) == (5, 12) and _published(h)[0] == 12

    # A witness remembering another root for size 5 (the log showed it another history) refuses.
    WitnessState(first.witnessed.state.origin, 5, bytes(32)).save(state)
    with pytest.raises(WitnessRefused):
        _run(h, state)
    assert _published(h)[0] == 12

    # A witness the log was not told about cannot get its cosignature published.
    stranger = Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
    with pytest.raises(LogUnreachable, match="audit.not_cosigned"):
        _run(h, tmp_path / "other.json", key=stranger, name="stranger.example/w")


def test_the_cli_creates_its_key_cosigns_and_refuses_a_fork(harness_factory, tmp_path, monkeypatch):
    import json

    import httpx
    from typer.testing import CliRunner

    from civicid.cli.main import app

    class _Shared:  # the CLI's httpx.Client, talking to the test app
        def __init__(self, **_):
            pass

        def __enter__(self):
            return h.client

        def __exit__(self, *_):
            return False

    key_file, state = tmp_path / "w.key", tmp_path / "w.json"
    first = CliRunner().invoke(app, ["audit", "witness", "--log", "http://testserver", "--log-vkey", "x+00000000+AA==",
                                     "--name", NAME, "--key-file", str(key_file), "--state", str(state),
                                     "--no-publish", "--json"])
    assert first.exit_code == 2 and "audit.malformed_note" in first.output and key_file.stat().st_mode & 0o077 == 0
    h = harness_factory()
    monkeypatch.setattr(httpx, "Client", _Shared)
    _filled(h, 0, 3)
    args = ["audit", "witness", "--log", "http://testserver", "--log-vkey", h.client.get("/log/vkey").text.strip(),
            "--name", NAME, "--key-file", str(key_file), "--state", str(state), "--no-publish", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["tree_size"] == 3 and out["cosigner_vkey"].startswith(NAME + "+") and not out["published"]
    WitnessState(WitnessState.load(state).origin, 3, bytes(32)).save(state)
    _filled(h, 3, 1)
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "audit.witness_refused" in refused.output


W2 = "witness.example.net/w2"
KEY2 = Ed25519PrivateKey.from_private_bytes(bytes([5]) * 32)


def test_replicas_on_separate_disks_publish_one_cosigned_checkpoint(harness_factory, tmp_path):
    """The kept checkpoint is in the database: handed in to one replica, served by another with
    its own CIVICID_HOME; a second witness's cosignature of the same tree is merged, and an older
    checkpoint handed in later does not replace a newer one."""
    from tests.support.harness import Harness

    witnesses = ",".join((cosigner_vkey(NAME, KEY.public_key()), cosigner_vkey(W2, KEY2.public_key())))
    a = harness_factory(log_witnesses=witnesses)
    home_b = tmp_path / "replica-b"
    home_b.mkdir()
    b = Harness(a.runtime.sessions, a.runtime._face_engine, home_b, log_witnesses=witnesses)
    assert b.settings.home != a.settings.home
    _filled(a, 0, 4)
    old_state = tmp_path / "w1-old.json"
    older = _run(a, old_state)  # cosigns size 4 (published, then superseded below)
    _filled(a, 4, 3)
    _run(a, tmp_path / "w1.json")
    _run(b, tmp_path / "w2.json", key=KEY2, name=W2)  # the other witness, through the other replica
    for replica in (a, b):
        note = parse_note(replica.client.get("/log/cosigned-checkpoint").text)
        assert Checkpoint.from_text(note.text).tree_size == 7
        assert cosigned_at(note, name=NAME, public_key=KEY.public_key()) is not None
        assert cosigned_at(note, name=W2, public_key=KEY2.public_key()) is not None

    stale = b.client.post("/log/cosigned-checkpoint", content=older.witnessed.note.dumps().encode())
    assert stale.status_code == 200 and Checkpoint.from_text(parse_note(stale.text).text).tree_size == 7
    assert Checkpoint.from_text(parse_note(a.client.get("/log/cosigned-checkpoint").text).text).tree_size == 7
    assert not (a.settings.home / "transparency" / "cosigned-checkpoint").exists()


def test_the_account_page_says_how_many_witnesses_vouch_for_the_log(harness_factory, tmp_path):
    """Issue 15: "a citizen page shows how many witnesses vouch for the head"."""
    from tests.integration.oidc.conftest import make_citizen, sign_in

    h = harness_factory(log_witnesses=",".join((cosigner_vkey(NAME, KEY.public_key()),
                                                cosigner_vkey(W2, KEY2.public_key()))))
    sign_in(h.client, h.runtime, make_citizen(h.runtime))
    assert "No independent witness has cosigned the log" in h.client.get("/account").text

    _filled(h, 0, 4)
    _run(h, tmp_path / "w1.json")
    _run(h, tmp_path / "w2.json", key=KEY2, name=W2)  # the same tree: the cosignatures merge
    assert re.search(r'id="witnesses">2 independent witnesses have cosigned the log.s checkpoint of \d+ entries',
                     h.client.get("/account").text)

    # Viewing the page grew the log; a newer tree cosigned by one witness replaces the kept one.
    _run(h, tmp_path / "w1.json")
    assert re.search(r'id="witnesses">1 independent witness has cosigned', h.client.get("/account").text)

    # Chinese readers get the same count in their language.
    h.client.cookies.set("civicid_lang", "zh-CN")
    assert "已有 1 个独立见证方联署" in h.client.get("/account").text
