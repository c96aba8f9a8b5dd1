"""The citizen's own view: every access to their data, each with its inclusion proof."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request

from civicid.web.citizen_session import signed_in_citizen_or_bearer
from civicid.web.deps import RuntimeDep, SessionDep
from civicid.web.errors import error_response

router = APIRouter(prefix="/api/v1/me", tags=["citizen"])


@router.get("/history")
def history(request: Request, runtime: RuntimeDep, session: SessionDep):
    """Events about me, oldest first, with RFC 9162 inclusion proofs against the signed tree head.

    Check each one without trusting CivicID: ``leaf_hash = SHA-256(0x00 || leaf)``, then
    ``civicid.audit.proofs.verify_inclusion(leaf_hash, leaf_index, tree_size, inclusion_path,
    sth.sha256_root_hash)``, and the STH signature with the key at /api/v1/transparency/public-key.
    ``pending`` lists events recorded but not yet in a signed tree head (for a fraction of a second)."""
    me = signed_in_citizen_or_bearer(request, runtime, session)
    if me is None:
        return error_response(401, "auth.required", "Sign in to see your access history.")
    head, items, pending = runtime.access_log(session).history(me.citizen_id)
    return {
        "sth": head.to_json(),
        "events": [{
            "leaf_index": item.index, "tag": str(item.event.tag), "actor": item.event.actor,
            "purpose": item.event.purpose, "occurred_at": item.event.occurred_at.isoformat(),
            "leaf": base64.b64encode(item.event.to_bytes()).decode(), **item.proof.to_json(),
        } for item in items],
        "pending": [{"tag": str(event.tag), "actor": event.actor, "purpose": event.purpose,
                     "occurred_at": event.occurred_at.isoformat()} for event in pending],
    }
