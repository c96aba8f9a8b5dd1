"""Typed errors of passkey registration and sign-in (WebAuthn Level 3, §7.1 and §7.2).

py_webauthn raises one exception type per ceremony with an English message; the service turns it
into one of these with a stable ``reason`` (see :data:`REJECTION_REASONS`).
"""

from __future__ import annotations

from civicid.errors import CivicIDError


class CeremonyInvalid(CivicIDError):
    """Unknown ceremony id, a ceremony that was already used (single use), or one of the wrong kind."""

    code = "passkey.ceremony_invalid"
    status = 400
    default_message = "This passkey request is unknown or was already used; start again."


class CeremonyExpired(CivicIDError):
    code = "passkey.ceremony_expired"
    status = 400
    default_message = "This passkey request has expired; start again."


class RegistrationRejected(CivicIDError):
    code = "passkey.registration_rejected"
    status = 400
    default_message = "The passkey could not be registered."

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class AuthenticationRejected(CivicIDError):
    code = "passkey.authentication_rejected"
    status = 401
    default_message = "The passkey sign-in could not be verified."

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class UnknownCredential(CivicIDError):
    code = "passkey.unknown_credential"
    status = 401
    default_message = "This passkey is not registered with CivicID."


class AlreadyRegistered(CivicIDError):
    code = "passkey.already_registered"
    status = 409
    default_message = "This passkey is already registered."


class FreshFaceSessionRequired(CivicIDError):
    """Adding a passkey needs a face verification (enrolment or recovery) in the last minutes."""

    code = "passkey.fresh_face_session_required"
    status = 403
    default_message = ("Adding a passkey needs a face verification in the last 10 minutes: "
                       "enrol, or verify your face again through account recovery.")


class SignInRequired(CivicIDError):
    code = "auth.sign_in_required"
    status = 401
    default_message = "Sign in first."


class PasskeyNotFound(CivicIDError):
    """No passkey with this id belongs to the signed-in citizen (someone else's looks the same)."""

    code = "passkey.not_found"
    status = 404
    default_message = "You have no passkey with this id. Reload the page to see your passkeys."


class LastPasskey(CivicIDError):
    """Removing the citizen's only passkey would leave face verification as the only way back in."""

    code = "passkey.last_one"
    status = 409
    default_message = ("This is your only passkey, so it cannot be removed: without it you could not "
                       "sign in. Create another passkey first, then remove this one.")


class PasskeyNameInvalid(CivicIDError):
    code = "passkey.name_invalid"
    status = 422
    default_message = ("A passkey's name can be up to 64 characters long, without control characters. "
                       "Choose another name.")
