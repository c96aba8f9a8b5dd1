"""/log/: the C2SP checkpoint, tiles and bundles over HTTP, their caching, errors and refusals."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from civicid.audit.checkpoint import open_checkpoint
from civicid.audit.events import EventTag
from civicid.audit.merkle import EMPTY_ROOT
from civicid.audit.models import LogNode
from civicid.audit.note import parse_verifier_key
from civicid.audit.tiles import split_entry_bundle


def _filled(h, count: int) -> None:
    with h.runtime.transaction() as session:
        log = h.runtime.access_log(session)
        for i in range(count):
            log.record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1", citizen_id=f"c{i}", purpose=f"check {i}")
    h.runtime.sequence_log()


def _open(h, origin: str):
    name, key = parse_verifier_key(h.client.get("/log/vkey").text)
    assert name == origin
    response = h.client.get("/log/checkpoint")
    assert response.headers["cache-control"] == "public, max-age=5"
    return open_checkpoint(response.text, origin=origin, public_key=key)[0]


def test_the_checkpoint_matches_the_rfc9162_head_under_the_default_origin(harness_factory):
    h = harness_factory()
    assert _open(h, "localhost:8000/log").root_hash == EMPTY_ROOT
    _filled(h, 3)
    checkpoint = _open(h, "localhost:8000/log")
    head = h.client.get("/api/v1/transparency/sth").json()
    assert (checkpoint.tree_size, base64.b64encode(checkpoint.root_hash).decode()) == (3, head["sha256_root_hash"])


def test_the_origin_setting_names_the_log(harness_factory):
    h = harness_factory(log_origin="civicid.example/audit")
    assert _open(h, "civicid.example/audit").tree_size == 0


def test_tiles_exist_only_as_far_as_the_log_and_only_in_canonical_paths(harness_factory):
    h = harness_factory()
    _filled(h, 3)
    partial = h.client.get("/log/tile/0/000.p/3")
    assert partial.status_code == 200 and len(partial.content) == 96
    assert partial.headers["cache-control"] == "public, max-age=60"
    assert partial.headers["access-control-allow-origin"] == "*"
    bundle = h.client.get("/log/tile/entries/000.p/2")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/octet-stream"
    assert bundle.headers["content-encoding"] == "gzip" and len(split_entry_bundle(bundle.content)) == 2
    plain = h.client.get("/log/tile/entries/000.p/2", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == bundle.content
    for path, code in (("0/000.p/4", "audit.no_such_tile"), ("0/000", "audit.no_such_tile"),
                       ("entries/001.p/1", "audit.no_such_tile"), ("0/x000/000.p/1", "audit.bad_tile_path"),
                       ("8/000/000", "audit.bad_tile_path")):
        response = h.client.get(f"/log/tile/{path}")
        assert response.status_code == 404 and response.json()["error"]["code"] == code, path


def test_a_changed_node_gets_no_fresh_checkpoint_signature(harness_factory):
    h = harness_factory()
    _filled(h, 3)
    with h.runtime.transaction() as session:
        session.execute(sa.update(LogNode).where(LogNode.level == 0, LogNode.index == 2).values(hash=bytes(32)))
    response = h.client.get("/log/checkpoint")
    assert response.status_code == 500 and response.json()["error"]["code"] == "audit.tampered"
