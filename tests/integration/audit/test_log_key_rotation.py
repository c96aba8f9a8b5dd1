"""Rotating the log-signing key on the stored log: new heads are signed by the new key, old heads
(saved by anyone) still verify, an outsider checks it all from the first key and the published
chain, and the history and ``audit verify`` keep working across the rotation."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicid.audit.db_verify import verify_stored_log
from civicid.audit.errors import KeyChainBroken, LogKeyMismatch
from civicid.audit.events import EventTag
from civicid.audit.log_keys import KeyChain, LogKey
from civicid.audit.service import AccessLog
from civicid.audit.signing import current_signing_key, load_chain, rotate_log_key
from civicid.audit.sth import SignedTreeHead, verify_tree_head
from civicid.vault.fakes import FakeKeyProvider
from tests.integration.audit.test_insider_columns import CLOCK


@pytest.fixture
def keys():
    return FakeKeyProvider()


def _record(session, keys, n: int, start: int = 0) -> None:
    log = AccessLog(session, keys, CLOCK)
    for i in range(start, start + n):
        log.record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1", citizen_id=f"c{i % 2}", purpose=f"check {i}")
    assert log.sequence() == n


def test_heads_after_a_rotation_are_signed_by_the_new_key_and_old_ones_still_verify(db_session, keys):
    _record(db_session, keys, 4)
    saved = AccessLog(db_session, keys, CLOCK).log.signed_tree_head()
    rotation = rotate_log_key(db_session, keys)
    assert (rotation.serial, rotation.first_size) == (2, 5)
    _record(db_session, keys, 3, start=4)
    old_key = keys.signing_key("transparency_log").public_key()
    new_key = keys.signing_key("transparency_log.2").public_key()
    log = AccessLog(db_session, keys, CLOCK).log
    assert verify_tree_head(log.signed_tree_head(4), old_key) and not verify_tree_head(log.signed_tree_head(4), new_key)
    assert verify_tree_head(log.signed_tree_head(5), new_key) and not verify_tree_head(log.signed_tree_head(5), old_key)
    result = verify_stored_log(db_session, keys, CLOCK, since=saved)
    assert result.ok and result.tree_size == 7 and result.signatures_checked == 8
    head, items, _ = AccessLog(db_session, keys, CLOCK).history("c0")
    assert head.tree_size == 7 and [item.index for item in items] == [0, 2, 4, 6]


def test_two_rotations_chain(db_session, keys):
    _record(db_session, keys, 2)
    rotate_log_key(db_session, keys)
    _record(db_session, keys, 2, start=2)
    assert rotate_log_key(db_session, keys).serial == 3
    _record(db_session, keys, 2, start=4)
    assert verify_stored_log(db_session, keys, CLOCK).ok
    assert AccessLog(db_session, keys, CLOCK).log.signed_tree_head().tree_size == 6


def test_no_rotation_on_top_of_a_broken_chain(db_session, keys):
    _record(db_session, keys, 2)
    rotate_log_key(db_session, keys)
    db_session.execute(sa.text("UPDATE audit_log_keys SET first_size = 1"))
    with pytest.raises(KeyChainBroken) as raised:
        rotate_log_key(db_session, keys)
    assert raised.value.code == "audit.key_chain_broken"


def test_a_keyring_without_the_current_key_is_a_typed_error(db_session, keys):
    _record(db_session, keys, 2)
    rotate_log_key(db_session, keys)
    chain = load_chain(db_session, keys)
    assert chain.current[0] == 2
    with pytest.raises(LogKeyMismatch) as raised:
        current_signing_key(FakeKeyProvider(seed=b"another keyring"), chain)
    assert raised.value.code == "audit.log_key_mismatch"


def test_the_cli_rotates_lists_and_verifies(tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from civicid.cli.main import app

    monkeypatch.setenv("CIVICID_HOME", str(tmp_path))
    monkeypatch.delenv("CIVICID_DATABASE_URL", raising=False)
    runner = CliRunner()

    def run(*args: str) -> dict:
        result = runner.invoke(app, ["audit", *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert run("keys")["rotations"] == []
    rotated = run("rotate-key")
    assert (rotated["serial"], rotated["first_size"]) == (2, 1)
    listed = run("keys")
    assert listed["current_serial"] == 2 and listed["rotations"] == [{**rotated, "valid": True}]
    assert run("verify")["ok"] is True


def test_an_outsider_checks_every_head_from_the_first_key_and_the_published_chain(harness_factory):
    h = harness_factory()
    heads = []
    for i in range(6):
        with h.runtime.transaction() as session:
            h.runtime.access_log(session).record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1",
                                                 citizen_id=f"c{i}", purpose=f"check {i}")
        heads.append(SignedTreeHead.from_json(h.client.get("/api/v1/transparency/sth").json()))
        if i == 2:
            with h.runtime.transaction() as session:
                rotate_log_key(session, h.runtime.keys)
    published = h.client.get("/api/v1/transparency/keys").json()
    assert published["current_serial"] == 2
    assert [(r["serial"], r["first_size"], r["valid"]) for r in published["rotations"]] == [(2, 4, True)]
    anchor = Ed25519PublicKey.from_public_bytes(base64.b64decode(published["anchor"]["public_key"]))
    rotations = [LogKey(r["serial"], base64.b64decode(r["public_key"]), r["first_size"],
                        base64.b64decode(r["endorsement"])) for r in published["rotations"]]
    chain = KeyChain.build(anchor, rotations)
    assert [head.tree_size for head in heads] == [1, 2, 3, 4, 5, 6]
    assert all(chain.verifies(head) for head in heads)
    assert [verify_tree_head(head, anchor) for head in heads] == [True, True, True, False, False, False]
    current = base64.b64decode(h.client.get("/api/v1/transparency/public-key").json()["public_key"])
    assert current == base64.b64decode(published["rotations"][0]["public_key"])
