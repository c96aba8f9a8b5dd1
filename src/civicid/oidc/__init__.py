"""The OpenID Connect provider: "Sign in with CivicID" (OIDC Core 1.0 on Authlib's server classes).

Authorization code flow with PKCE (S256) only, pairwise subject identifiers, consent-gated
claims, ES256 ID tokens (RS256 for clients that register for it), refresh-token rotation and
RP-initiated logout.
"""
