"""The boundary's control-character checks, against what the text actually decodes to."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicid.web.boundary import text

URL_FORBIDDEN = {chr(c) for c in range(0x20)} | {"\x7f"}
TEXT_FORBIDDEN = URL_FORBIDDEN - {"\t", "\n", "\r"}
texts = st.text(st.characters(codec="utf-8"), max_size=40)


@given(texts)
def test_a_query_is_refused_exactly_when_a_value_holds_a_control_character(value):
    query = urlencode({"client_id": value}).encode()
    assert text.url_is_clean("/oauth2/authorize", query) == (not URL_FORBIDDEN & set(value))


@given(texts)
def test_a_json_body_is_refused_exactly_when_a_string_holds_a_control_character(value):
    for body in (json.dumps({"ceremony_id": value}), json.dumps({"k": value}, ensure_ascii=False)):
        assert text.json_is_clean(body.encode()) == (not TEXT_FORBIDDEN & set(value)), body


@given(texts)
def test_a_form_body_is_refused_exactly_when_a_field_holds_a_control_character(value):
    assert text.form_is_clean(urlencode({"code": value}).encode()) == (not TEXT_FORBIDDEN & set(value))


@pytest.mark.parametrize("body,clean", [
    (rb'{"a": "\u0000"}', False), (rb'{"a": "\\u0000"}', True), (rb'{"a": "\\\u0000"}', False),
    (rb'{"a": "\u001F"}', False), (rb'{"a": "\u007f"}', False), (rb'{"a": "\u0009\u000a\u000d"}', True),
    (rb'{"a": "\u0020\u00e9"}', True), (b'{"a": "\x00"}', False), (rb'{"a": "\b"}', False),
    (rb'{"a": "\\b"}', True), (rb'{"a": "\f"}', False), (rb'{"a": "\t\n\r"}', True),
])
def test_json_escapes(body, clean):
    assert text.json_is_clean(body) is clean


@pytest.mark.parametrize("path,query,clean", [
    ("/signin", b"next=%2Faccount", True), ("/signin\x00", b"", False), ("/a", b"x=%0a", False),
    ("/a", b"x=%250a", True), ("/a", b"x=%7F", False), ("/a", b"x=a+b", True),
])
def test_urls(path, query, clean):
    assert text.url_is_clean(path, query) is clean


def test_basic_credentials_are_decoded_before_they_are_checked():
    def basic(user: str) -> bytes:
        return b"Basic " + base64.b64encode(f"{user}:secret".encode())

    assert text.authorization_is_clean(basic("partner"))
    assert not text.authorization_is_clean(basic("part\x00ner"))
    assert text.authorization_is_clean(b"Bearer " + quote("\x00").encode())  # not Basic: left to its route
    assert text.header_is_clean(b"a\tb") and not text.header_is_clean(b"a\x00b")
