"""``sid`` values (OIDC Front-Channel Logout 1.0 §3): per browser session and per client."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from civicid.identity.sessions import _hash as session_row_key
from civicid.oidc.session_id import same_session, session_id

KEY = bytes(range(32))


def test_a_sid_is_per_session_and_per_client_and_short():
    sid = session_id(KEY, session_token="tok-1", client_id="rp_a")
    assert sid == session_id(KEY, session_token="tok-1", client_id="rp_a")
    assert sid != session_id(KEY, session_token="tok-2", client_id="rp_a")
    assert sid != session_id(KEY, session_token="tok-1", client_id="rp_b")
    assert sid != session_id(bytes(32), session_token="tok-1", client_id="rp_a")
    assert len(sid) == 22 and "tok-1" not in sid


def test_the_sid_is_computed_from_the_session_rows_key():
    """So that the provider can find a session's sids from its row, without the cookie."""
    token = "cookie-value_-"
    expected = hmac.new(KEY, f"{session_row_key(token)}\x00rp_a".encode(), hashlib.sha256).digest()[:16]
    assert session_id(KEY, session_token=token, client_id="rp_a") == \
        base64.urlsafe_b64encode(expected).rstrip(b"=").decode()


@pytest.mark.parametrize(("sid", "token", "aud", "same"), [
    (None, "tok-1", "rp_a", False), (123, "tok-1", "rp_a", False), ("x", "tok-1", "rp_a", False),
    ("SID", None, "rp_a", False), ("SID", "tok-1", ["rp_a"], False), ("SID", "tok-2", "rp_a", False),
    ("SID", "tok-1", "rp_b", False), ("SID", "tok-1", "rp_a", True), ("SIDé", "tok-1", "rp_a", False),
])
def test_same_session(sid, token, aud, same):
    if sid == "SID":
        sid = session_id(KEY, session_token="tok-1", client_id="rp_a")
    elif sid == "SIDé":
        sid = session_id(KEY, session_token="tok-1", client_id="rp_a") + "é"
    assert same_session(KEY, sid=sid, session_token=token, client_id=aud) is same


def test_a_short_key_is_refused():
    with pytest.raises(ValueError):
        session_id(b"short", session_token="t", client_id="c")
