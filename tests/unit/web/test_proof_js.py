"""The browser's proof checker (static/citizen/proof.js, RFC 9162 §2.1.1 and §2.1.3.2 with
WebCrypto) run under node on the vectors CivicID's Python implementation wrote
(tests/vectors/audit/browser_proofs.json, ``make_proof_vectors``): it must give Python's answer
for every valid and tampered proof, signed tree head and key chain."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
VECTORS = HERE.parents[1] / "vectors" / "audit" / "browser_proofs.json"


@pytest.fixture(scope="module")
def vectors() -> dict:
    return json.loads(VECTORS.read_text())


@pytest.fixture(scope="module")
def answers(vectors) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    run = subprocess.run([node, str(HERE / "proof_harness.js"), str(VECTORS)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_leaf_hashes(vectors, answers):
    assert answers["leaf_hashes"] == [item["hash"] for item in vectors["leaf_hashes"]]


def test_inclusion_proofs_valid_and_tampered(vectors, answers):
    cases = vectors["inclusion"]
    assert len(answers["inclusion"]) == len(cases)
    wrong = [case["name"] for case, answer in zip(cases, answers["inclusion"]) if answer is not case["valid"]]
    assert wrong == []
    # the vectors hold both kinds, and every deliberate tamper fails
    assert any(case["valid"] for case in cases)
    tampered = [case for case in cases if ":" in case["name"] and "tree one bigger" not in case["name"]]
    assert len(tampered) > 100 and not any(case["valid"] for case in tampered)


def test_signed_tree_heads_and_key_rotation(vectors, answers):
    assert answers["heads"] == [case["signer_serial"] for case in vectors["heads"]]
    assert [case["valid"] for case in vectors["heads"]].count(False) >= 7


def test_whole_entry_checks(vectors, answers):
    for case, answer in zip(vectors["entries"], answers["entries"], strict=True):
        for key, value in case["result"].items():
            assert answer[key] == value, (case["name"], key, answer)
