"""Regenerate tests/vectors/audit/*.json from the independent reference (not from civicid code).

    .venv/bin/python -m tests.unit.audit.make_vectors

The published values are copied from Certificate Transparency's C++ test suite
(certificate-transparency ``cpp/merkletree/merkle_tree_test.cc``; the same numbers are in
Google Trillian ``merkle/testonly/constants.go``); the script refuses to write if the reference
does not reproduce them.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.unit.audit import rfc9162_reference as ref

VECTORS = Path(__file__).parents[2] / "vectors" / "audit"

CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
PUBLISHED_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PUBLISHED_INCLUSION = [
    {"leaf_index": 0, "tree_size": 1, "path": []},
    {"leaf_index": 0, "tree_size": 8, "path": [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]},
    {"leaf_index": 5, "tree_size": 8, "path": [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]},
    {"leaf_index": 2, "tree_size": 3, "path": ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]},
    {"leaf_index": 1, "tree_size": 5, "path": [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]},
]
PUBLISHED_CONSISTENCY = [
    {"first": 1, "second": 1, "proof": []},
    {"first": 1, "second": 8, "proof": [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]},
    {"first": 6, "second": 8, "proof": [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]},
    {"first": 2, "second": 5, "proof": [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]},
]

# RFC 8032 §7.1 TEST 1 secret key: a public, fixed key so the signatures below are reproducible.
STH_SECRET_KEY = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"


def merkle_vectors() -> dict:
    leaves = [bytes.fromhex(h) for h in CT_LEAVES]
    hexes = lambda hashes: [h.hex() for h in hashes]  # noqa: E731
    for n, want in enumerate(PUBLISHED_ROOTS, start=1):
        if ref.mth(leaves[:n]).hex() != want:
            raise SystemExit(f"reference disagrees with the published root for size {n}")
    for case in PUBLISHED_INCLUSION:
        if hexes(ref.path(case["leaf_index"], leaves[: case["tree_size"]])) != case["path"]:
            raise SystemExit(f"reference disagrees with the published inclusion proof {case}")
    for case in PUBLISHED_CONSISTENCY:
        if hexes(ref.proof(case["first"], leaves[: case["second"]])) != case["proof"]:
            raise SystemExit(f"reference disagrees with the published consistency proof {case}")
    return {
        "about": (
            "RFC 6962/9162 Merkle tree vectors over the eight test leaves used by Certificate "
            "Transparency implementations. 'published' is copied from certificate-transparency "
            "cpp/merkletree/merkle_tree_test.cc (same values in Trillian merkle/testonly/constants.go). "
            "'computed' was produced by tests/unit/audit/rfc9162_reference.py (the RFC's recursive "
            "MTH/PATH/PROOF, independent of civicid), which reproduces every published value; "
            "regenerate with: .venv/bin/python -m tests.unit.audit.make_vectors"
        ),
        "leaves_hex": CT_LEAVES,
        "published": {
            "roots": PUBLISHED_ROOTS,
            "inclusion": PUBLISHED_INCLUSION,
            "consistency": PUBLISHED_CONSISTENCY,
        },
        "computed": {
            "empty_root": ref.mth([]).hex(),
            "leaf_hashes": [ref.mth([leaf]).hex() for leaf in leaves],
            "roots": [ref.mth(leaves[:n]).hex() for n in range(0, 9)],
            "inclusion": [
                {"leaf_index": i, "tree_size": n, "path": hexes(ref.path(i, leaves[:n]))}
                for n in range(1, 9)
                for i in range(n)
            ],
            "consistency": [
                {"first": m, "second": n, "proof": hexes(ref.proof(m, leaves[:n]))}
                for n in range(1, 9)
                for m in range(1, n + 1)
            ],
        },
    }


def sth_vectors() -> dict:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(STH_SECRET_KEY))
    leaves = [bytes.fromhex(h) for h in CT_LEAVES]
    cases = []
    for size, timestamp in ((0, 0), (1, 1_700_000_000_000), (8, 1_738_311_300_000)):
        root = ref.mth(leaves[:size])
        # Written out by hand from the format documented in civicid/audit/sth.py.
        message = b"civicid.audit.sth.v1\x00" + struct.pack(">QQ", timestamp, size) + b"\x20" + root + b"\x00\x00"
        cases.append(
            {
                "tree_size": size,
                "timestamp_ms": timestamp,
                "root_hash": root.hex(),
                "message": message.hex(),
                "signature": key.sign(message).hex(),
            }
        )
    return {
        "about": (
            "Signed tree heads over the CT test leaves, signed with the RFC 8032 §7.1 TEST 1 key "
            "(Ed25519 is deterministic). 'message' is the documented signed encoding built by hand "
            "in tests/unit/audit/make_vectors.py."
        ),
        "secret_key": STH_SECRET_KEY,
        "cases": cases,
    }


def main() -> None:
    VECTORS.mkdir(parents=True, exist_ok=True)
    for name, data in (("rfc9162_ct_vectors.json", merkle_vectors()), ("sth_vectors.json", sth_vectors())):
        (VECTORS / name).write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
