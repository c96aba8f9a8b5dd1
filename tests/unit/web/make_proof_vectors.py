"""Regenerate tests/vectors/audit/browser_proofs.json, the cases the browser's proof checker
(static/citizen/proof.js) must agree on with CivicID's Python implementation:

    .venv/bin/python -m tests.unit.web.make_proof_vectors

Every expected answer is the Python implementation's (``civicid.audit.merkle``, ``proofs``,
``sth``, ``log_keys``), over fixed leaves and fixed keys; tampered copies (a flipped bit, a wrong
index or size, a short or long path, a wrong key) are included, each with the answer Python gives
(``False`` for every real tamper: the script refuses to write otherwise; the same path in a tree
one bigger is sometimes still a valid proof, and is recorded as Python answers).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicid.audit.events import EventTag, LogEvent
from civicid.audit.log_keys import KeyChain, LogKey, endorse, raw_public_key
from civicid.audit.memory_store import MemoryLogStore
from civicid.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash, split_point
from civicid.audit.proofs import inclusion_ranges, verify_inclusion
from civicid.audit.sth import SignedTreeHead, sign_tree_head
from civicid.audit.tree import TransparencyLog

TARGET = Path(__file__).parents[2] / "vectors" / "audit" / "browser_proofs.json"
SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 31, 33)
KEY_1 = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEY_2 = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
T0_MS = 1_796_115_600_000  # 2026-11-30T09:00:00Z


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def leaves(n: int) -> list[bytes]:
    return [b"" if i == 0 else f"civicid leaf {i}".encode() for i in range(n)]


def mth(data: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 with the project's hash functions."""
    if len(data) == 1:
        return leaf_hash(data[0])
    k = split_point(len(data))
    return node_hash(mth(data[:k]), mth(data[k:]))


def path_of(data: list[bytes], index: int) -> list[bytes]:
    return [mth(data[a:b]) for a, b in inclusion_ranges(index, len(data))]


def flip(value: bytes, bit: int = 0) -> bytes:
    out = bytearray(value)
    out[bit // 8 % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


def inclusion_case(name, leaf, index, size, path, root, *, tampered):
    digest = leaf_hash(leaf)
    expected = verify_inclusion(digest, index, size, path, root)
    if tampered and expected:
        raise SystemExit(f"{name}: a tampered proof verifies in Python; pick another tamper")
    return {"name": name, "leaf": b64(leaf), "leaf_hash": digest.hex(), "leaf_index": index, "tree_size": size,
            "inclusion_path": [b64(p) for p in path], "root": b64(root), "valid": expected}


def inclusion_cases() -> list[dict]:
    cases = []
    for size in SIZES:
        data = leaves(size)
        root = mth(data)
        for index in range(size):
            path = path_of(data, index)
            cases.append(inclusion_case(f"size {size} leaf {index}", data[index], index, size, path, root,
                                        tampered=False))
            if index not in (0, size // 2, size - 1):
                continue
            leaf = data[index]
            cases.append(inclusion_case(f"size {size} leaf {index}: other leaf", leaf + b"!", index, size, path, root,
                                        tampered=True))
            cases.append(inclusion_case(f"size {size} leaf {index}: root flipped", leaf, index, size, path,
                                        flip(root, 255), tampered=True))
            cases.append(inclusion_case(f"size {size} leaf {index}: index past the end", leaf, size, size, path,
                                        root, tampered=True))
            cases.append(inclusion_case(f"size {size} leaf {index}: extra element", leaf, index, size,
                                        path + [root], root, tampered=True))
            if path:
                cases.append(inclusion_case(f"size {size} leaf {index}: path bit flipped", leaf, index, size,
                                            [flip(path[0], 7)] + path[1:], root, tampered=True))
                cases.append(inclusion_case(f"size {size} leaf {index}: path cut short", leaf, index, size,
                                            path[:-1], root, tampered=True))
                cases.append(inclusion_case(f"size {size} leaf {index}: other index", leaf, index ^ 1, size, path,
                                            root, tampered=True))
                # not always a tamper: the same path can prove the leaf in a tree one bigger (RFC 9162
                # §2.1.3.2 binds the size only through the path's shape), so Python's answer is the answer
                cases.append(inclusion_case(f"size {size} leaf {index}: tree one bigger", leaf, index, size + 1,
                                            path, root, tampered=False))
            if len(path) > 1:
                cases.append(inclusion_case(f"size {size} leaf {index}: path reversed", leaf, index, size,
                                            list(reversed(path)), root, tampered=True))
    # malformed input: a short hash, a huge path
    data = leaves(4)
    root = mth(data)
    path = path_of(data, 1)
    cases.append(inclusion_case("short path element", data[1], 1, 4, [path[0][:31]] + path[1:], root, tampered=True))
    cases.append(inclusion_case("65 path elements", data[1], 1, 4, path + [root] * 63, root, tampered=True))
    return cases


def anchor_keys(*rotations: LogKey) -> dict:
    return {"algorithm": "Ed25519", "anchor": {"serial": 1, "public_key": b64(raw_public_key(KEY_1.public_key())),
                                               "first_size": 0},
            "rotations": [r.to_json() for r in rotations]}


def head_case(name, key, *, size, timestamp, root, keys, rotations=(), edit=None, tampered):
    head = sign_tree_head(key, tree_size=size, timestamp_ms=timestamp, root_hash=root).to_json()
    if edit:
        head.update(edit)

    chain = KeyChain.build(KEY_1.public_key(), list(rotations))
    try:
        expected = chain.verifies(SignedTreeHead.from_json(head))
    except Exception:  # noqa: BLE001 - a malformed head is not valid
        expected = False
    if tampered and expected:
        raise SystemExit(f"{name}: a tampered head verifies in Python")
    signer = None
    if expected:
        signer = 1 if chain.key_for(size) is chain.keys[0][2] else chain.keys[-1][0]
    return {"name": name, "sth": head, "keys": keys, "valid": expected, "signer_serial": signer}


def head_cases() -> list[dict]:
    root = mth(leaves(13))
    rotation = endorse(KEY_1, KEY_2.public_key(), serial=2, first_size=10)
    forged = LogKey(2, raw_public_key(KEY_2.public_key()), 10, KEY_2.sign(b"not the endorsement").ljust(64, b"\0"))
    wrong_serial = endorse(KEY_1, KEY_2.public_key(), serial=3, first_size=10)
    plain, rotated = anchor_keys(), anchor_keys(rotation)
    common = {"timestamp": T0_MS, "root": root}
    return [
        head_case("anchor key, size 13", KEY_1, size=13, keys=plain, tampered=False, **common),
        head_case("tree size changed", KEY_1, size=13, keys=plain, edit={"tree_size": 14}, tampered=True, **common),
        head_case("timestamp changed", KEY_1, size=13, keys=plain, edit={"timestamp": T0_MS + 1}, tampered=True,
                  **common),
        head_case("root flipped", KEY_1, size=13, keys=plain, edit={"sha256_root_hash": b64(flip(root, 3))},
                  tampered=True, **common),
        head_case("signature flipped", KEY_1, size=13, keys=plain,
                  edit={"tree_head_signature": b64(flip(base64.b64decode(
                      sign_tree_head(KEY_1, tree_size=13, timestamp_ms=T0_MS, root_hash=root).to_json()
                      ["tree_head_signature"]), 100))}, tampered=True, **common),
        head_case("signed by a key not in the chain", KEY_2, size=13, keys=plain, tampered=True, **common),
        head_case("rotated key signs from size 10", KEY_2, size=13, keys=rotated, rotations=[rotation],
                  tampered=False, **common),
        head_case("old key after the rotation", KEY_1, size=13, keys=rotated, rotations=[rotation], tampered=True,
                  **common),
        head_case("old key before the rotation", KEY_1, size=9, keys=rotated, rotations=[rotation],
                  tampered=False, timestamp=T0_MS, root=mth(leaves(9))),
        head_case("rotation with a forged endorsement", KEY_2, size=13, keys=anchor_keys(forged),
                  rotations=[forged], tampered=True, **common),
        head_case("rotation with a wrong serial", KEY_2, size=13, keys=anchor_keys(wrong_serial),
                  rotations=[wrong_serial], tampered=True, **common),
        head_case("empty tree, any key of the chain", KEY_1, size=0, keys=rotated, rotations=[rotation],
                  tampered=False, timestamp=T0_MS, root=EMPTY_ROOT),
    ]


def entry_cases() -> list[dict]:
    """Whole checks as the page runs them: the three JSON answers of the transparency API."""
    log = TransparencyLog(MemoryLogStore(), KEY_1, clock_ms=lambda: T0_MS)
    at = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    events = [LogEvent(tag=EventTag.SYSTEM_CITIZEN_ENROLLED, actor="system", citizen_ref="c-1", purpose="",
                       occurred_at=at),
              LogEvent(tag=EventTag.OFFICIAL_CITIZEN_READ, actor="official:o-7", citizen_ref="c-1",
                       purpose="case 42", occurred_at=at.replace(minute=5)),
              LogEvent(tag=EventTag.CITIZEN_SELF_READ, actor="citizen", citizen_ref="c-2", purpose="",
                       occurred_at=at.replace(minute=6))]
    for event in events:
        log.append(event)
    head = log.signed_tree_head()
    keys = anchor_keys()

    def responses(index: int, *, leaf: bytes | None = None, sth: dict | None = None) -> dict:
        proof = log.inclusion_proof(index, head.tree_size)
        data = log.entry(index).data if leaf is None else leaf
        return {"/api/v1/transparency/sth": sth or head.to_json(), "/api/v1/transparency/keys": keys,
                f"/api/v1/transparency/inclusion?leaf_index={index}&tree_size={head.tree_size}":
                    {"leaf": b64(data), **proof.to_json()}}

    def expect(event: LogEvent) -> dict:
        return {"tag": event.tag.value, "occurred_at": event.as_dict()["occurred_at"]}

    other_root = {**head.to_json(), "sha256_root_hash": b64(flip(head.root_hash, 1))}
    return [
        {"name": "an official's read", "leaf_index": 1, "expected": expect(events[1]), "responses": responses(1),
         "result": {"ok": True, "reason": None, "treeSize": 3, "rootHex": head.root_hash.hex()}},
        {"name": "the page shows another entry", "leaf_index": 1, "expected": expect(events[0]),
         "responses": responses(1), "result": {"ok": False, "reason": "leaf_mismatch"}},
        {"name": "the server changed the leaf", "leaf_index": 1, "expected": expect(events[1]),
         "responses": responses(1, leaf=events[1].to_bytes().replace(b"case 42", b"case 43")),
         "result": {"ok": False, "reason": "not_included"}},
        {"name": "the head does not verify", "leaf_index": 0, "expected": expect(events[0]),
         "responses": responses(0, sth=other_root), "result": {"ok": False, "reason": "bad_signature"}},
    ]


def main() -> None:
    document = {
        "about": __doc__.split("\n\n")[0].replace("\n", " "),
        "leaf_hashes": [{"leaf": b64(leaf), "hash": leaf_hash(leaf).hex()} for leaf in leaves(4)],
        "inclusion": inclusion_cases(),
        "heads": head_cases(),
        "entries": entry_cases(),
    }
    TARGET.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {TARGET} ({len(document['inclusion'])} inclusion cases, {len(document['heads'])} heads)")


if __name__ == "__main__":
    main()
