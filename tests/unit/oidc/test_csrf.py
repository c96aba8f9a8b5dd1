from __future__ import annotations

from civicid.oidc.csrf import csrf_token, csrf_valid

KEY = bytes(range(32))


def test_token_is_bound_to_the_session_the_purpose_and_the_request():
    token = csrf_token(KEY, session_token="s1", purpose="consent", payload="client_id=a")
    assert csrf_valid(KEY, token, session_token="s1", purpose="consent", payload="client_id=a")
    assert not csrf_valid(KEY, token, session_token="s2", purpose="consent", payload="client_id=a")
    assert not csrf_valid(KEY, token, session_token="s1", purpose="logout", payload="client_id=a")
    assert not csrf_valid(KEY, token, session_token="s1", purpose="consent", payload="client_id=b")
    assert not csrf_valid(bytes(32), token, session_token="s1", purpose="consent", payload="client_id=a")


def test_missing_values_are_invalid():
    token = csrf_token(KEY, session_token="s1", purpose="consent")
    assert not csrf_valid(KEY, None, session_token="s1", purpose="consent")
    assert not csrf_valid(KEY, token, session_token=None, purpose="consent")
    assert not csrf_valid(KEY, "", session_token="s1", purpose="consent")
