"""The transparency log in the C2SP formats, under ``/log/`` (docs/transparency.md):

* ``/log/checkpoint`` — the signed checkpoint (c2sp.org/tlog-checkpoint), cacheable for seconds;
* ``/log/tile/<L>/<N>[.p/<W>]`` — Merkle tiles, ``/log/tile/entries/<N>[.p/<W>]`` — entry bundles
  (c2sp.org/tlog-tiles). Full tiles never change and are cached for a year; partial ones briefly;
* ``/log/vkey`` — the signed-note verifier key of the checkpoints (not part of C2SP).

Every resource is a static file in disguise, so the log can be mirrored on any static host and
read by the Go checksum database's, Sigsum's or Sigstore's clients.
"""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicid.audit.checkpoint import origin_for
from civicid.audit.static_log import checkpoint_verifier_key, signed_checkpoint, tile_bytes
from civicid.audit.tiles import parse_tile_path
from civicid.web.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/log", tags=["transparency"])

TEXT = "text/plain; charset=utf-8"
CORS = {"Access-Control-Allow-Origin": "*"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", **CORS}
PARTIAL = {"Cache-Control": "public, max-age=60", **CORS}
CHECKPOINT = {"Cache-Control": "public, max-age=5", **CORS}


def log_origin(request: Request) -> str:
    settings = request.app.state.settings
    return settings.log_origin or origin_for(settings.public_url)


@router.get("/checkpoint")
def checkpoint(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    """The latest tree head as a signed note (C2SP tlog-checkpoint)."""
    note = signed_checkpoint(session, runtime.keys, origin=log_origin(request))
    return Response(note.dumps(), media_type=TEXT, headers=CHECKPOINT)


@router.get("/vkey")
def vkey(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    """The verifier key of the checkpoints: ``<origin>+<key ID>+<base64 key>`` (C2SP signed-note)."""
    key = checkpoint_verifier_key(session, runtime.keys, origin=log_origin(request))
    return Response(key + "\n", media_type=TEXT, headers=CHECKPOINT)


@router.get("/tile/{path:path}")
def tile(path: str, request: Request, session: SessionDep) -> Response:
    """A Merkle tile or an entry bundle (C2SP tlog-tiles); 404 ``audit.bad_tile_path`` for a bad
    path, 404 ``audit.no_such_tile`` for one the log has not reached. Entry bundles are gzipped
    for clients that accept it (tlog-tiles: "SHOULD be compressed at the HTTP layer")."""
    ref = parse_tile_path(path)
    data = tile_bytes(session, ref)
    headers = dict(IMMUTABLE if ref.full else PARTIAL)
    if ref.level is None:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            data = gzip.compress(data, mtime=0)
            headers["Content-Encoding"] = "gzip"
    return Response(data, media_type="application/octet-stream", headers=headers)


def _cosigned_store(request: Request, session):
    from civicid.audit.cosigned import SqlCosignedStore

    return SqlCosignedStore(session, log_origin(request))


@router.get("/cosigned-checkpoint")
def cosigned_checkpoint(request: Request, session: SessionDep) -> Response:
    """The newest checkpoint a configured witness cosigned (C2SP tlog-cosignature); 404 before any."""
    from civicid.audit.cosigned import latest_cosigned

    return Response(latest_cosigned(_cosigned_store(request, session)), media_type=TEXT, headers=CHECKPOINT)


@router.post("/cosigned-checkpoint")
async def add_cosigned_checkpoint(request: Request, runtime: RuntimeDep) -> Response:
    """Hand in a checkpoint of this log cosigned by a configured witness; answers the kept one."""
    from starlette.concurrency import run_in_threadpool

    from civicid.audit.cosigned import accept_cosigned, witness_keys

    body = await request.body()
    settings = request.app.state.settings

    def accept() -> str:
        with runtime.transaction() as session:
            return accept_cosigned(session, runtime.keys, _cosigned_store(request, session), body,
                                   origin=log_origin(request),
                                   witnesses=witness_keys(settings.log_witnesses)).dumps()

    return Response(await run_in_threadpool(accept), media_type=TEXT, headers={"Cache-Control": "no-store"})
