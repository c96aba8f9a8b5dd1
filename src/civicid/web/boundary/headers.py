"""Security headers for every response (OWASP Secure Headers): what may run on CivicID's pages,
who may frame them, what they may use.

The pages load their scripts and styles from /static (no inline code), so the content security
policy allows nothing else. Two kinds of page get their own policy: the API browsers (/docs,
/redoc: Swagger UI and ReDoc from /static/api-docs, Swagger UI's inline start-up script allowed
by its hash, ``web.api_docs``; on only outside production, see ``Settings.api_docs``) and the
demo relying party (/demo-rp: a separate site with an inline style sheet, mounted in demo mode
only).
"""

from __future__ import annotations

HSTS = "max-age=63072000"  # two years; not includeSubDomains: other hosts of the domain are not ours

_COMMON = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
# No form-action: the consent and sign-out forms post here, then redirect to the relying party,
# and browsers apply form-action to that redirect too.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "connect-src 'self'; media-src 'self' blob: mediastream:; " + _COMMON)


def docs_csp(script_hashes: tuple[str, ...]) -> str:
    """/docs and /redoc: their files from /static/api-docs, Swagger UI's inline start-up script by
    its hash (web.api_docs); both set inline styles, and ReDoc runs a worker from a blob."""
    return (f"default-src 'self'; script-src 'self' {' '.join(script_hashes)}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; " + _COMMON)


DEMO_RP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; " + _COMMON)
# The camera for the liveness check on CivicID's own pages, passkeys, nothing else.
PERMISSIONS = ("camera=(self), microphone=(), geolocation=(), payment=(), usb=(), "
               "publickey-credentials-get=(self)")


def security_headers(*, csp: str, https: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": PERMISSIONS,
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class HeaderSets:
    """The headers of each kind of response, encoded once."""

    def __init__(self, *, https: bool, docs_paths: tuple[str, ...], demo_prefix: str | None,
                 docs_script_hashes: tuple[str, ...] = ()) -> None:
        self.page = self._encode(security_headers(csp=PAGE_CSP, https=https))
        self.docs = self._encode(security_headers(csp=docs_csp(docs_script_hashes), https=https))
        self.demo = self._encode(security_headers(csp=DEMO_RP_CSP, https=https))
        self._docs_paths = docs_paths
        self._demo_prefix = demo_prefix

    @staticmethod
    def _encode(headers: dict[str, str]) -> tuple[tuple[bytes, bytes], ...]:
        return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())

    def for_path(self, path: str) -> tuple[tuple[bytes, bytes], ...]:
        if path in self._docs_paths:
            return self.docs
        if self._demo_prefix is not None and (path == self._demo_prefix or path.startswith(self._demo_prefix + "/")):
            return self.demo
        return self.page
