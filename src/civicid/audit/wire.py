"""Strict JSON field readers shared by the proof and tree-head (de)serialisers.

Binary fields are standard base64 with padding (RFC 4648 §4), as in Certificate Transparency's
JSON API (RFC 9162 §5). Readers raise the caller's typed error class, never KeyError/ValueError.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Mapping

from civicid.audit.errors import AuditError
from civicid.audit.merkle import HASH_SIZE


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def read_int(obj: Mapping[str, Any], key: str, error: type[AuditError]) -> int:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    # bool is an int subclass; `true` is not a tree size.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 1 << 64:
        raise error(f"'{key}' must be an integer between 0 and 2**64 - 1.")
    return value


def read_b64(obj: Mapping[str, Any], key: str, error: type[AuditError], *, size: int | None) -> bytes:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return decode_b64(value, key, error, size=size)


def decode_b64(value: Any, what: str, error: type[AuditError], *, size: int | None) -> bytes:
    if not isinstance(value, str):
        raise error(f"'{what}' must be a base64 string.")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise error(f"'{what}' is not valid base64.") from None
    if size is not None and len(raw) != size:
        raise error(f"'{what}' must decode to {size} bytes, got {len(raw)}.")
    return raw


def read_hash_list(obj: Mapping[str, Any], key: str, error: type[AuditError], *, max_len: int) -> tuple[bytes, ...]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if not isinstance(value, list) or len(value) > max_len:
        raise error(f"'{key}' must be a list of at most {max_len} base64 hashes.")
    return tuple(decode_b64(item, f"{key}[{i}]", error, size=HASH_SIZE) for i, item in enumerate(value))
