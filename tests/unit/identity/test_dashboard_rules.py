"""The dashboard's input rules: passkey nicknames and the public id of a sign-in session."""

from __future__ import annotations

import hashlib

import pytest

from civicid.identity.passkey_errors import PasskeyNameInvalid
from civicid.identity.passkeys import MAX_PASSKEY_NAME, clean_passkey_name
from civicid.identity.sessions import PUBLIC_ID_LENGTH, public_id_of_token, public_session_id


@pytest.mark.parametrize(("name", "stored"), [
    ("Work laptop", "Work laptop"), ("  Work \t  laptop\n", "Work laptop"), ("", None), ("   ", None),
    ("工作电脑", "工作电脑"), ("👩‍💻 desk", "👩‍💻 desk"), ("x" * MAX_PASSKEY_NAME, "x" * MAX_PASSKEY_NAME)])
def test_names_kept(name, stored):
    assert clean_passkey_name(name) == stored


@pytest.mark.parametrize(("name", "reason"), [
    ("x" * (MAX_PASSKEY_NAME + 1), "too_long"), ("evil\u202etxt.exe", "characters"), ("a\u0000b", "characters"),
    ("zero\u200bwidth", "characters"), ("\ue000private", "characters"), (None, "type"), (42, "type")])
def test_names_refused(name, reason):
    with pytest.raises(PasskeyNameInvalid) as refused:
        clean_passkey_name(name)
    assert refused.value.code == "passkey.name_invalid" and refused.value.detail["reason"] == reason
    assert "64 characters" in refused.value.message


def test_session_public_id_is_not_the_row_key_and_is_stable():
    token = "t" * 43
    row_key = hashlib.sha256(token.encode()).hexdigest()
    public = public_session_id(row_key)
    assert len(public) == PUBLIC_ID_LENGTH and public not in row_key and public == public_id_of_token(token)
    assert public_session_id(hashlib.sha256(b"other").hexdigest()) != public
    assert public_id_of_token(None) is None
