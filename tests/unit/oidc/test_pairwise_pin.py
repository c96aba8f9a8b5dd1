"""The ``sub`` a relying party sees is pinned end to end: a keyring file with literal bytes, the
production key provider, the provider's own key lookup, the server's claims. Changing the key's
purpose name, the HKDF labels or the subject formula would silently re-key every relying party
(every account at every client orphaned); this test notices."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import sessionmaker

from civicid.clock import FixedClock
from civicid.oidc.service import OidcProvider
from civicid.oidc.storage import CitizenFacts
from civicid.oidc.views import Grantee
from civicid.runtime import build_runtime
from civicid.settings import Settings
from civicid.vault.local_keys import LocalKeyProvider

ROOT_SECRET = bytes(range(100, 132))
CITIZEN = "c_01JD0000000000000000000000"
SECTOR = "forum.example"
PINNED_SUB = "O4Rq6WlwAsBJ93P5uNpoQpbba42eYamMCGcXsfHUpRA"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def provider(tmp_path) -> OidcProvider:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir(mode=0o700)
    ring = {"format": "civicid.keyring.v1", "root_secret": base64.b64encode(ROOT_SECRET).decode(),
            "current_kek_id": "kek-0001-00000000", "serial": 1,
            "keks": {"kek-0001-00000000": base64.b64encode(bytes(32)).decode()}}
    (keys_dir / "keyring.json").write_text(json.dumps(ring))
    os.chmod(keys_dir / "keyring.json", 0o600)
    runtime = build_runtime(Settings(home=tmp_path), sessions=sessionmaker(), keys=LocalKeyProvider(tmp_path),
                            clock=FixedClock(NOW))
    oidc = OidcProvider(runtime, sessionmaker()())
    oidc.server.store.citizen = lambda citizen_id, with_profile: CitizenFacts(citizen_id, True)  # no database
    return oidc


def _grantee(citizen_id: str = CITIZEN, sector: str = SECTOR, client_id: str = "client-1") -> Grantee:
    return Grantee(citizen_id=citizen_id, client_id=client_id, sector=sector, claims=(), acr="urn:civicid:acr:face",
                   amr=("face",), auth_time=NOW)


def test_the_subject_for_a_fixed_keyring_citizen_and_sector_never_changes(provider):
    assert provider.server.user_claims(_grantee())["sub"] == PINNED_SUB
    # the client does not matter, only its sector
    assert provider.server.user_claims(_grantee(client_id="client-2"))["sub"] == PINNED_SUB
    assert provider.server.user_claims(_grantee(sector="shop.example"))["sub"] != PINNED_SUB


def test_the_pinned_subject_is_the_documented_derivation_by_hand():
    """RFC 5869 HKDF-SHA256 of the root secret (salt and labels spelled out), then OIDC Core §8.1
    HMAC-SHA256 over the length-prefixed sector and the citizen id, base64url without padding."""
    info = b"".join(len(p).to_bytes(4, "big") + p for p in (b"civicid.vault", b"hmac", b"oidc.pairwise_subject"))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"civicid.vault.hkdf.v1", info=info).derive(ROOT_SECRET)
    sector = SECTOR.encode()
    mac = hmac.new(key, len(sector).to_bytes(2, "big") + sector + CITIZEN.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == PINNED_SUB
