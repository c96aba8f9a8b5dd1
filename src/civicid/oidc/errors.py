"""Typed errors of the OpenID provider.

Protocol errors towards relying parties stay Authlib's ``OAuth2Error`` (their wire codes are
fixed by RFC 6749 §4.1.2.1 and §5.2); these are the errors of CivicID's own surfaces: client
registration, the citizen's consent API and the pages a browser lands on.
"""

from __future__ import annotations

from civicid.errors import CivicIDError


class OidcError(CivicIDError):
    code = "oidc.error"
    status = 400
    default_message = "The sign-in request could not be completed."


class ClientInvalid(OidcError):
    code = "oidc.client_invalid"
    status = 422
    default_message = "The relying party's registration is not valid."


class ClientNotFound(OidcError):
    code = "oidc.client_not_found"
    status = 404
    default_message = "No such relying party."


class ConsentNotFound(OidcError):
    code = "oidc.consent_not_found"
    status = 404
    default_message = "You have not shared anything with this service."


class SignInRequired(OidcError):
    code = "oidc.sign_in_required"
    status = 401
    default_message = "Sign in with CivicID first."


class CsrfInvalid(OidcError):
    code = "oidc.csrf_invalid"
    status = 403
    default_message = "This form has expired or was not sent from CivicID. Start again from the service."
