"""The witness's side of the wire (``civicid audit witness``): fetch the log's checkpoint and a
consistency proof from the last one cosigned, cosign (:func:`civicid.audit.witness.witness_checkpoint`),
save the new state, and hand the cosigned checkpoint back to the log to publish."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.checkpoint import Checkpoint
from civicid.audit.errors import AuditError
from civicid.audit.note import parse_note, parse_verifier_key
from civicid.audit.witness import WitnessState, Witnessed, witness_checkpoint


class LogUnreachable(AuditError):
    code = "audit.log_unreachable"
    status = 502
    default_message = "The log did not answer as a CivicID log."


@dataclass(frozen=True, slots=True)
class WitnessRun:
    witnessed: Witnessed
    previous_size: int | None
    published: bool


def _get(client: httpx.Client, url: str, **params) -> httpx.Response:
    try:
        response = client.get(url, params=params or None)
    except httpx.HTTPError as error:
        raise LogUnreachable(f"{url}: {error}") from None
    if response.status_code != 200:
        raise LogUnreachable(f"{url}: HTTP {response.status_code} {response.text[:200]}")
    return response


def witness_log(client: httpx.Client, base_url: str, *, log_vkey: str, name: str, key: Ed25519PrivateKey,
                state_path: Path, clock_s: Callable[[], int], publish: bool = True) -> WitnessRun:
    """One round: cosign the log's current checkpoint if it extends the state's, then publish it."""
    origin, log_key = parse_verifier_key(log_vkey)
    base = base_url.rstrip("/")
    note = _get(client, f"{base}/log/checkpoint").text
    state = WitnessState.load(state_path)
    path: list[bytes] = []
    if state is not None:
        size = Checkpoint.from_text(parse_note(note).text).tree_size
        if state.tree_size < size:
            proof = _get(client, f"{base}/api/v1/transparency/consistency", first=state.tree_size, second=size).json()
            path = [base64.b64decode(h) for h in proof.get("consistency_path", [])]
    witnessed = witness_checkpoint(note, origin=origin, log_key=log_key, state=state, consistency_path=path,
                                   name=name, key=key, timestamp=clock_s())
    witnessed.state.save(state_path)  # before publishing: the witness never forgets what it signed
    published = False
    if publish:
        try:
            response = client.post(f"{base}/log/cosigned-checkpoint", content=witnessed.note.dumps().encode(),
                                   headers={"Content-Type": "text/plain; charset=utf-8"})
        except httpx.HTTPError as error:
            raise LogUnreachable(f"{base}/log/cosigned-checkpoint: {error}") from None
        if response.status_code != 200:
            raise LogUnreachable(f"The log refused the cosigned checkpoint: HTTP {response.status_code} "
                                 f"{response.text[:200]}")
        published = True
    return WitnessRun(witnessed, None if state is None else state.tree_size, published)
