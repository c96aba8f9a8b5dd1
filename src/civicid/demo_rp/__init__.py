"""A small "community forum" that signs in with CivicID (the demo relying party).

It uses Authlib's Starlette client (authorization code + PKCE S256, state and nonce, ID token
validated against the provider's JWKS) and shows exactly what it received: ``sub``, the claims,
``acr`` and ``amr``. Mounted at /demo-rp in demo mode, or run alone with ``civicid demo-rp``.
"""

from civicid.demo_rp.app import create_demo_rp
from civicid.demo_rp.config import DemoRPConfig

__all__ = ["DemoRPConfig", "create_demo_rp"]
