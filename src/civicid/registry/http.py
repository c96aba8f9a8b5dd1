"""A population registry reached as JSON over HTTPS. The contract is in docs/registry-http.md."""

from __future__ import annotations

import base64
import binascii
import time
from datetime import date
from urllib.parse import urlparse

import httpx

from civicid.registry.errors import RegistryBadResponse, RegistryUnavailable
from civicid.registry.interfaces import RegistryRecord

_RETRYABLE = {429, 500, 502, 503, 504}
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class HttpRegistry:
    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        timeout_s: float = 3.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        transport: httpx.BaseTransport | None = None,
        sleep=time.sleep,
    ) -> None:
        parsed = urlparse(base_url)
        if parsed.scheme != "https" and parsed.hostname not in {"localhost", "127.0.0.1", "::1"}:
            raise ValueError("the registry must be reached over HTTPS")
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        self._retries = retries
        self._backoff_s = backoff_s
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"HttpRegistry({self._client.base_url!s})"

    def lookup(self, id_number: str) -> RegistryRecord | None:
        response = self._post_with_retries({"id_number": id_number})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryBadResponse(f"The population registry answered HTTP {response.status_code}.")
        return _parse_record(response, id_number)

    def _post_with_retries(self, body: dict) -> httpx.Response:
        for attempt in range(self._retries + 1):
            try:
                response = self._client.post("/v1/persons/lookup", json=body)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code not in _RETRYABLE:
                return response
            if attempt < self._retries:
                self._sleep(self._backoff_s * (2**attempt))
        raise RegistryUnavailable()


def _parse_record(response: httpx.Response, id_number: str) -> RegistryRecord:
    try:
        data = response.json()
        record = RegistryRecord(
            id_number=str(data["id_number"]),
            name=str(data["name"]),
            birth_date=date.fromisoformat(data["birth_date"]),
            sex=data["sex"],
            photo=base64.b64decode(data["photo_jpeg_b64"], validate=True),
            status=data["status"],
            ref=str(data.get("ref", "")),
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise RegistryBadResponse() from exc
    if record.id_number != id_number or record.sex not in ("M", "F") or \
            record.status not in ("active", "deceased", "revoked") or len(record.photo) > MAX_PHOTO_BYTES:
        raise RegistryBadResponse()
    return record
