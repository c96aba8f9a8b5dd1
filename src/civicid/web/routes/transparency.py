"""Public endpoints of the transparency log (RFC 9162 style): anyone can check it was never rewritten."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import APIRouter, Query

from civicid.audit.service import open_log
from civicid.web.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/transparency", tags=["transparency"])


@router.get("/sth")
def signed_tree_head(runtime: RuntimeDep, session: SessionDep) -> dict:
    """The latest signed tree head."""
    return open_log(session, runtime.keys, runtime.clock).signed_tree_head().to_json()


@router.get("/inclusion")
def inclusion(runtime: RuntimeDep, session: SessionDep, leaf_index: int = Query(ge=0),
              tree_size: int | None = Query(None, ge=1)) -> dict:
    """The audit path proving entry ``leaf_index`` is in the tree of ``tree_size`` (RFC 9162 §2.1.3)."""
    log = open_log(session, runtime.keys, runtime.clock)
    proof = log.inclusion_proof(leaf_index, tree_size)
    entry = log.entry(leaf_index)
    return {"leaf": base64.b64encode(entry.data).decode(), **proof.to_json()}


@router.get("/consistency")
def consistency(runtime: RuntimeDep, session: SessionDep, first: int = Query(ge=0),
                second: int | None = Query(None, ge=0)) -> dict:
    """The proof that tree ``first`` is a prefix of tree ``second`` (RFC 9162 §2.1.4)."""
    return open_log(session, runtime.keys, runtime.clock).consistency_proof(first, second).to_json()


@router.get("/keys")
def keys(runtime: RuntimeDep, session: SessionDep) -> dict:
    """Every key that has signed tree heads: the first (``anchor``, pin it) and each rotation with
    the tree size it signs from, endorsed by the key before it (docs/transparency.md)."""
    from civicid.audit.signing import key_chain_json

    return key_chain_json(session, runtime.keys)


@router.get("/public-key")
def public_key(runtime: RuntimeDep, session: SessionDep) -> dict:
    """The Ed25519 key that signs new tree heads (raw 32 bytes, base64); after a rotation, older
    heads verify under the keys at /keys."""
    key = open_log(session, runtime.keys, runtime.clock).public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"algorithm": "Ed25519", "public_key": base64.b64encode(key).decode()}
