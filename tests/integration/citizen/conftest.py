"""The citizen's own API and page: the OIDC tests' app (pinned clock, both stores) and helpers."""

from tests.integration.oidc.conftest import citizen, client, clock, rp, runtime, signed_in  # noqa: F401
