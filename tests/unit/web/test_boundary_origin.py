"""Which requests count as coming from another site."""

from __future__ import annotations

import pytest

from civicid.web.boundary.origin import is_cross_site, origin_of

PUBLIC = origin_of("https://id.example.gov/")


def test_origin_serialisation():
    assert PUBLIC == b"https://id.example.gov"
    assert origin_of("http://localhost:8000") == b"http://localhost:8000"
    assert origin_of("https://ID.example.gov:443/x") == b"https://id.example.gov"


@pytest.mark.parametrize("fetch_site,origin,host,cross", [
    (b"same-origin", b"https://evil.example", b"id.example.gov", False),  # Fetch Metadata wins
    (b"none", None, b"id.example.gov", False),
    (b"same-site", b"https://rp.example.gov", b"id.example.gov", True),
    (b"cross-site", None, b"id.example.gov", True),
    (None, b"https://id.example.gov", b"internal:8000", False),  # the public origin, behind a proxy
    (None, b"http://10.0.0.5:8000", b"10.0.0.5:8000", False),  # the host the browser sent it to
    (None, b"https://evil.example", b"id.example.gov", True),
    (None, b"null", b"id.example.gov", True),
    (None, None, b"id.example.gov", False),  # not a browser
])
def test_cross_site(fetch_site, origin, host, cross):
    assert is_cross_site(fetch_site=fetch_site, origin=origin, host=host, public_origin=PUBLIC) is cross
