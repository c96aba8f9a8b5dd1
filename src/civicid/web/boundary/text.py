"""Control characters are refused where a request enters: no identifier, token or name needs one,
and PostgreSQL cannot store NUL in text (it used to answer 500).

Two classes of text. In the URL (path and query string), in header values and in HTTP Basic
credentials, every C0 control character and DEL is refused. In bodies (JSON, form fields),
which may carry free text such as a staff member's justification, TAB, LF and CR are allowed.
"""

from __future__ import annotations

import binascii
import re

# decoded path; raw query string (a percent escape of a control character counts as one)
_PATH = re.compile(r"[\x00-\x1f\x7f]")
_QUERY = re.compile(rb"[\x00-\x1f\x7f]|%(?:[01][0-9a-fA-F]|7[fF])")
# header values may hold TAB (RFC 9110 §5.5); a decoded Basic credential nothing at all
_HEADER = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_CREDENTIAL = re.compile(rb"[\x00-\x1f\x7f]")
# bodies: raw, percent-escaped (forms) or escaped (JSON: \b, \f, \u00XX) controls other than TAB, LF, CR.
# A JSON escape counts only after an odd run of backslashes ("\\u0000" is text, not NUL).
_TEXT_RAW = rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_RAW = re.compile(_TEXT_RAW)
_FORM = re.compile(_TEXT_RAW + rb"|%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
_JSON_ESCAPE = re.compile(rb"(\\+)(?:[bf]|u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]))")
_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def url_is_clean(path: str, query: bytes) -> bool:
    return _PATH.search(path) is None and _QUERY.search(query) is None


def header_is_clean(value: bytes) -> bool:
    return _HEADER.search(value) is None


def authorization_is_clean(value: bytes) -> bool:
    """``Authorization: Basic`` carries its user and password in base64 (RFC 7617 §2)."""
    scheme, _, credentials = value.partition(b" ")
    if scheme.lower() != b"basic":
        return True
    try:
        decoded = binascii.a2b_base64(credentials.strip())
    except binascii.Error:
        return True  # not ours to judge: the route answers 401
    return _CREDENTIAL.search(decoded) is None


def json_is_clean(body: bytes) -> bool:
    if _RAW.search(body) is not None:
        return False
    if b"\\" not in body:  # the usual case (a WebAuthn response is base64url): no escapes at all
        return True
    return all(len(match.group(1)) % 2 == 0 for match in _JSON_ESCAPE.finditer(body))


def form_is_clean(body: bytes) -> bool:
    """``application/x-www-form-urlencoded``."""
    return _FORM.search(body) is None


def text_is_clean(value: str) -> bool:
    """A decoded text field (a multipart form field)."""
    return _TEXT.search(value) is None
