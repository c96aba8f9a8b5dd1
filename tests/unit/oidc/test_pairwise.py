from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from civicid.oidc.pairwise import pairwise_subject, sector_of

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "oidc" / "pairwise_v1.json").read_text())
KEY = bytes.fromhex(VECTORS["key_hex"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: f"{c['sector']}/{c['citizen_id'][:8]}")
def test_vectors(case):
    assert pairwise_subject(KEY, sector=case["sector"], citizen_id=case["citizen_id"]) == case["sub"]


def test_vectors_follow_the_documented_formula():
    for case in VECTORS["cases"]:
        sector = case["sector"].encode()
        mac = hmac.new(KEY, len(sector).to_bytes(2, "big") + sector + case["citizen_id"].encode(), hashlib.sha256)
        assert base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode() == case["sub"]


def test_ambiguous_concatenations_stay_apart():
    assert len({c["sub"] for c in VECTORS["cases"]}) == len(VECTORS["cases"])


def test_a_different_key_gives_unrelated_subjects():
    other = bytes(32)
    for case in VECTORS["cases"]:
        assert pairwise_subject(other, sector=case["sector"], citizen_id=case["citizen_id"]) != case["sub"]


def test_short_keys_are_refused():
    with pytest.raises(ValueError):
        pairwise_subject(b"short", sector="a", citizen_id="b")


@pytest.mark.parametrize(("uris", "sector", "expected"), [
    (["https://Forum.Example/cb", "https://forum.example/other"], None, "forum.example"),
    (["https://a.example/cb", "https://b.example/cb"], None, None),
    (["https://a.example/cb", "https://b.example/cb"], "example-sector", "example-sector"),
    (["https://a.example/cb"], "https://City.Example/sector.json", "city.example"),
    (["not a url"], None, None),
])
def test_sector_of(uris, sector, expected):
    assert sector_of(uris, sector) == expected
