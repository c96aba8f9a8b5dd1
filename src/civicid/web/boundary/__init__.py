"""The HTTP boundary: every request's checks before any route runs (see ``middleware``)."""

from __future__ import annotations

from fastapi import FastAPI

from civicid.settings import Settings
from civicid.web.boundary.body import BodyLimits
from civicid.web.boundary.headers import PAGE_CSP, HeaderSets, security_headers
from civicid.web.boundary.middleware import Boundary
from civicid.web.boundary.origin import origin_of

DEMO_RP_PATH = "/demo-rp"


def install_boundary(app: FastAPI, settings: Settings) -> None:
    """Add the boundary to ``app``, once its routes are in place (the upload routes are looked up)."""
    from civicid.web.uploads import FORM_OVERHEAD_BYTES

    https = settings.public_url.startswith("https://")
    api_docs = getattr(app.state, "api_docs", None)  # web.api_docs
    limits = BodyLimits.for_app(app, default=settings.max_body_bytes,
                                upload=settings.enrolment_max_total_bytes + FORM_OVERHEAD_BYTES)
    headers = HeaderSets(https=https, docs_paths=api_docs.paths if api_docs else (),
                         demo_prefix=DEMO_RP_PATH if settings.demo else None,
                         docs_script_hashes=api_docs.script_hashes if api_docs else ())
    app.add_middleware(Boundary, limits=limits, headers=headers, public_origin=origin_of(settings.public_url))
    # for the one answer that leaves from outside the middleware: the unexpected error's 500
    app.state.security_headers = security_headers(csp=PAGE_CSP, https=https)
