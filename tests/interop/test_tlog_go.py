"""The log in the C2SP formats, checked by Go's golang.org/x/mod/sumdb/note and sumdb/tlog.

The test fills a log past one full tile (300 entries), mirrors ``/log/`` into a directory the
way a static host would hold it, and runs tests/interop/tlog/main.go on the mirror: it verifies
the checkpoints' Ed25519 note signatures, authenticates every tile against the root, checks every
entry's inclusion and an older checkpoint's consistency, and checks CivicID's RFC 9162 JSON proofs
against roots it computed itself. Needs Go and Debian's golang-golang-x-mod-dev (``make
system-deps``); skipped without them, except under CI=true.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.events import EventTag
from civicid.audit.note import verifier_key
from civicid.audit.tiles import TILE_WIDTH, TileRef
from civicid.audit.witness import cosigner_vkey
from civicid.audit.witness_client import witness_log

GO_PROGRAM = Path(__file__).parent / "tlog" / "main.go"
GOPATH = Path("/usr/share/gocode")
SUMDB = GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb"
HINT = "needs Go and Go's sumdb packages: apt-get install -y golang-go golang-golang-x-mod-dev (make system-deps)"


def _go() -> str:
    go = shutil.which("go")
    if go is None or not (SUMDB / "tlog").is_dir() or not (SUMDB / "note").is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and the Go interop test " + HINT)
        pytest.skip("The Go interop test " + HINT)
    return go


def _record(h, start: int, count: int) -> None:
    with h.runtime.transaction() as session:
        log = h.runtime.access_log(session)
        for i in range(start, start + count):
            log.record(EventTag.PARTNER_CITIZEN_VERIFY, actor="partner:p1", citizen_id=f"c{i}", purpose=f"check {i}")
    h.runtime.sequence_log()


def _tiles(size: int) -> list[TileRef]:
    """Every tile and bundle a tree of ``size`` has (full ones and the partial ones of this size)."""
    refs, level = [], 0
    while size >> (8 * level):
        count = size >> (8 * level)
        widths = [TILE_WIDTH] * (count // TILE_WIDTH) + ([count % TILE_WIDTH] if count % TILE_WIDTH else [])
        refs += [TileRef(level, n, w) for n, w in enumerate(widths)]
        if level == 0:
            refs += [TileRef(None, n, w) for n, w in enumerate(widths)]
        level += 1
    return refs


def _mirror(h, root: Path, size: int) -> None:
    (root / "checkpoint").write_bytes(h.client.get("/log/checkpoint").content)
    for ref in _tiles(size):
        response = h.client.get(f"/log/{ref.path()}")
        assert response.status_code == 200, ref.path()
        assert response.headers["content-type"] == "application/octet-stream"
        cache = response.headers["cache-control"]
        assert ("immutable" in cache) == ref.full, (ref.path(), cache)
        target = root / ref.path()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.content)


def _run(go: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOFLAGS": "",
           "GOCACHE": os.environ.get("GOCACHE") or str(Path.home() / ".cache" / "go-build")}
    return subprocess.run([go, "run", str(GO_PROGRAM), *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)


def test_go_sumdb_verifies_checkpoints_tiles_and_proofs(harness_factory, tmp_path):
    go = _go()
    witness = Ed25519PrivateKey.from_private_bytes(bytes([5]) * 32)
    h = harness_factory(public_url="https://id.example.test/",
                        log_witnesses=cosigner_vkey("witness.example/w", witness.public_key()))
    _record(h, 0, 100)
    assert h.client.get("/log/checkpoint").headers["content-type"] == "text/plain; charset=utf-8"
    # The older checkpoint is the witnessed one: Go's note.Open must skip the cosignature line.
    witness_log(h.client, "http://testserver", log_vkey=h.client.get("/log/vkey").text, name="witness.example/w",
                key=witness, state_path=tmp_path / "witness.json", clock_s=lambda: 1_767_000_000)
    old = h.client.get("/log/cosigned-checkpoint")
    assert old.text.startswith("id.example.test/log\n100\n") and "\u2014 witness.example/w " in old.text
    (tmp_path / "old-checkpoint").write_text(old.text)
    _record(h, 100, 200)
    size = 300

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    _mirror(h, mirror, size)
    assert (mirror / "tile/0/000").stat().st_size == 8192 and (mirror / "tile/0/001.p/44").exists()
    assert (mirror / "tile/1/000.p/1").stat().st_size == 32

    api = "/api/v1/transparency"
    proofs = {
        "inclusion": [{**h.client.get(f"{api}/inclusion", params={"leaf_index": i, "tree_size": n}).json()}
                      for i, n in ((0, 300), (255, 300), (256, 300), (299, 300), (17, 100), (256, 257))],
        "consistency": [h.client.get(f"{api}/consistency", params={"first": m, "second": n}).json()
                        for m, n in ((1, 300), (100, 300), (256, 300), (7, 257), (255, 256))],
    }
    (tmp_path / "proofs.json").write_text(json.dumps(proofs))
    vkey = h.client.get("/log/vkey").text.strip()
    assert vkey.startswith("id.example.test/log+")

    args = ["-prefix", str(mirror), "-vkey", vkey, "-old", str(tmp_path / "old-checkpoint"),
            "-proofs", str(tmp_path / "proofs.json")]
    result = _run(go, tmp_path, *args)
    print(result.stdout)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "OK origin=id.example.test/log size=300" in result.stdout and "civicid_proofs=11" in result.stdout

    # The mirror served by a plain static file server (as any static host would) checks the same.
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(mirror))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        over_http = _run(go, tmp_path, "-prefix", f"http://127.0.0.1:{server.server_port}/", *args[2:])
    finally:
        server.shutdown()
        thread.join()
    assert over_http.returncode == 0 and "OK origin=id.example.test/log size=300" in over_http.stdout, over_http.stderr

    # The same checker refuses a mirror with one hash changed, and a checkpoint under another key.
    tile = mirror / "tile/0/000"
    data = bytearray(tile.read_bytes())
    data[100] ^= 1
    tile.write_bytes(bytes(data))
    broken = _run(go, tmp_path, *args)
    assert broken.returncode == 1 and "FAIL" in broken.stderr
    tile.write_bytes(bytes(data[:100]) + bytes([data[100] ^ 1]) + bytes(data[101:]))
    other = verifier_key("id.example.test/log", Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key())
    assert _run(go, tmp_path, *args[:2], "-vkey", other, *args[4:]).returncode == 1
