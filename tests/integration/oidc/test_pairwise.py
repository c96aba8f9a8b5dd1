"""Pairwise subjects (OIDC Core §8.1, DESIGN.md principle 4): relying parties cannot link users."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from civicid.identity.models import Citizen

from .conftest import exchange, get_code, make_citizen, make_rp, sign_in


def sub_at(http, rp, *, nonce: str) -> str:
    token = exchange(http, rp, get_code(http, rp, nonce=nonce)["code"]).json()
    id_sub = jwt.decode(token["id_token"], KeySet.import_key_set(http.get("/oauth2/jwks").json())).claims["sub"]
    info = http.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert info["sub"] == id_sub
    return id_sub


def test_subjects_differ_between_sectors_and_repeat_within_one(client, runtime, citizen, signed_in):
    forum = make_rp(runtime, redirect_uri="https://forum.example/cb")
    shop = make_rp(runtime, redirect_uri="https://shop.example/cb")
    forum_sub = sub_at(client, forum, nonce="a")
    shop_sub = sub_at(client, shop, nonce="b")
    assert forum_sub != shop_sub
    assert sub_at(client, forum, nonce="c") == forum_sub  # same client, same sub, every time

    with runtime.sessions() as session:
        network_id = session.get(Citizen, citizen).network_id
    for sub in (forum_sub, shop_sub):
        assert sub not in (network_id, citizen) and network_id not in sub and citizen not in sub
        assert len(sub) == 43  # 256-bit HMAC, base64url


def test_clients_of_one_sector_share_the_subject(client, runtime, signed_in):
    web = make_rp(runtime, redirect_uri="https://www.city.example/cb", sector="city.example")
    app = make_rp(runtime, redirect_uri="https://app.city.example/cb", sector="https://city.example/sector.json")
    assert sub_at(client, web, nonce="a") == sub_at(client, app, nonce="b")


def test_two_citizens_at_one_client_have_different_subjects(client, runtime, rp):
    alice = make_citizen(runtime)
    bob = make_citizen(runtime, id_number="11010519800101001X", name="Wang Fang")
    sign_in(client, runtime, alice)
    alice_sub = sub_at(client, rp, nonce="a")
    sign_in(client, runtime, bob)
    assert sub_at(client, rp, nonce="b") != alice_sub
