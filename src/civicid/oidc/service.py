"""The provider's use cases, one method per endpoint; the web routes only translate HTTP.

Outcomes are data: an ``OAuthResponse`` to send as is (a redirect to the client, a token
response), or an instruction for the web layer (``SignInNeeded``, ``ConsentNeeded``,
``ErrorPage``, ``LogoutConfirm``, ``SignedOut``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode, urlsplit

from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from sqlalchemy.orm import Session

from civicid.identity.sessions import SignedIn, SignInSessions
from civicid.oidc import csrf
from civicid.oidc.claims import LABELS, consent_items, releasable
from civicid.oidc.discovery import AUTHORIZE_PATH, issuer_of
from civicid.oidc.disclosures import Disclosures
from civicid.oidc.errors import ConsentNotFound
from civicid.oidc.pairwise import KEY_PURPOSE as SUBJECT_KEY_PURPOSE
from civicid.oidc.policy import OidcPolicy
from civicid.oidc.server import BearerProtector, CivicIDAuthorizationServer, CivicIDBearerValidator
from civicid.oidc.session_id import KEY_PURPOSE as SID_KEY_PURPOSE
from civicid.oidc.session_id import same_session, session_id
from civicid.oidc.signing_keys import SigningKeys
from civicid.oidc.starlette_adapter import (OAuthResponse, StarletteJsonRequest, StarletteOAuth2Request,
                                            oauth2_request)
from civicid.oidc.storage import SqlOidcStore
from civicid.oidc.ttl_cache import TtlCache
from civicid.oidc.views import ClientView, ConsentView, Grantee
from civicid.runtime import Runtime

SIGN_IN_PATH = "/signin"
NO_STORE = (("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Pragma", "no-cache"))
#: the logout request's parameters the confirmation form carries back (RP-Initiated Logout 1.0 §2)
LOGOUT_PARAMS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales")


@dataclass(frozen=True, slots=True)
class SignInNeeded:
    """Send the browser to the sign-in page, which comes back to ``next_url`` (relative)."""

    next_url: str

    @property
    def location(self) -> str:
        return f"{SIGN_IN_PATH}?next={quote(self.next_url, safe='')}"


@dataclass(frozen=True, slots=True)
class ConsentItem:
    claim: str
    label: str
    optional: bool
    checked: bool


@dataclass(frozen=True, slots=True)
class ConsentNeeded:
    client_id: str
    client_name: str
    items: tuple[ConsentItem, ...]
    authorize_query: str
    csrf: str


@dataclass(frozen=True, slots=True)
class ErrorPage:
    error: str
    description: str
    status: int = 400


@dataclass(frozen=True, slots=True)
class LogoutConfirm:
    client_name: str | None
    csrf: str
    #: the request's parameters, sent back with the citizen's answer (hidden fields)
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SignedOut:
    """The browser session is over; ``redirect`` back to the client if the request allowed it."""

    redirect: OAuthResponse | None


class OidcProvider:
    def __init__(self, runtime: Runtime, session: Session, *, policy: OidcPolicy | None = None,
                 session_token: str | None = None) -> None:
        self._runtime = runtime
        self._session = session
        self._clock = runtime.clock
        self._session_token = session_token
        self.policy = policy or OidcPolicy()
        self.issuer = issuer_of(runtime.settings.public_url)
        self.store = SqlOidcStore(session, runtime, client_cache=runtime.shared("oidc.clients", lambda: TtlCache(
            ttl=timedelta(seconds=self.policy.client_cache_ttl_s))))
        key_cache = runtime.shared("oidc.signing_key", lambda: TtlCache(
            ttl=timedelta(seconds=self.policy.key_cache_ttl_s)))
        self.signing = SigningKeys(session, runtime.vault(session), runtime.clock, policy=self.policy,
                                   cache=key_cache)
        self.disclosures = Disclosures(runtime, session)
        self.server = CivicIDAuthorizationServer(
            store=self.store, signing=self.signing, clock=runtime.clock, issuer=self.issuer, policy=self.policy,
            subject_key=runtime.keys.hmac_key(SUBJECT_KEY_PURPOSE), disclosures=self.disclosures,
            end_browser_session=self._end_browser_session,
        )

    # --- authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2) --------------------------

    def authorize(self, request: StarletteOAuth2Request, signed: SignedIn | None):
        try:
            grant = self.server.get_consent_grant(request, end_user=signed)
        except OAuth2Error as error:
            return self._error(request, error)
        data = request.payload.data
        prompts = set((data.get("prompt") or "").split())
        state = data.get("state")
        if signed is None or "login" in prompts or self._too_old(signed, data.get("max_age")):
            if "none" in prompts:
                return self._error(request, LoginRequiredError(redirect_uri=grant.redirect_uri, state=state))
            return SignInNeeded(self._return_url(request, drop_login="login" in prompts))

        client: ClientView = grant.request.client
        items = consent_items(grant.request.scope)
        consent = self.store.consent(signed.citizen_id, client.client_id)
        if consent is not None and consent.covers(items.all) and "consent" not in prompts:
            return self._issue_code(request, grant, signed, releasable(consent.granted, grant.request.scope))
        if "none" in prompts:
            return self._error(request, ConsentRequiredError(redirect_uri=grant.redirect_uri, state=state))

        query = urlsplit(request.uri).query
        previous = set(consent.granted) if consent else set()
        return ConsentNeeded(
            client_id=client.client_id, client_name=client.name,
            items=tuple(ConsentItem(c, LABELS[c], c in items.optional, c not in items.optional or c in previous)
                        for c in items.all),
            authorize_query=query, csrf=self._csrf("consent", query),
        )

    def decide(self, request: StarletteOAuth2Request, signed: SignedIn | None):
        """The consent form came back: ``authorize_query``, ``csrf``, ``decision`` (allow or
        deny) and one ``claim`` field per ticked optional claim."""
        form = request.form
        query = form.get("authorize_query", "")
        authorize = oauth2_request("GET", self.issuer, AUTHORIZE_PATH, request.headers, query=query)
        if signed is None:
            return SignInNeeded(f"{AUTHORIZE_PATH}?{query}")
        if not csrf.csrf_valid(self._csrf_key, form.get("csrf"), session_token=self._session_token,
                               purpose="consent", payload=query):
            return ErrorPage("csrf_invalid", "This consent form has expired. Go back to the service and start again.",
                             status=403)
        try:
            grant = self.server.get_consent_grant(authorize, end_user=signed)
        except OAuth2Error as error:
            return self._error(authorize, error)
        if form.get("decision") != "allow":
            return self.server.create_authorization_response(authorize, grant_user=None, grant=grant)

        client: ClientView = grant.request.client
        items = consent_items(grant.request.scope)
        ticked = set(request.payload.datalist.get("claim", []))
        granted = items.required + tuple(c for c in items.optional if c in ticked)
        declined = tuple(c for c in items.optional if c not in ticked)
        self.store.save_consent(signed.citizen_id, client.client_id, asked=items.all, granted=granted,
                                now=self._clock.now())
        self.disclosures.consent_granted(signed.citizen_id, client.client_id, granted=granted, declined=declined)
        return self._issue_code(authorize, grant, signed, releasable(granted, grant.request.scope))

    # --- token, userinfo, keys ---------------------------------------------------------------

    def token(self, request: StarletteOAuth2Request) -> OAuthResponse:
        return self.server.create_token_response(request)

    def userinfo(self, request: StarletteJsonRequest) -> OAuthResponse:
        """OIDC Core §5.3: the consented claims for the access token's citizen and client. The
        token comes in the Authorization header (RFC 6750 §2.1) or a form-encoded POST body
        (§2.2, ``request.body_tokens``), never both. Without either the answer is a bare
        challenge (§3.1: no error code for a request without authentication information)."""
        protector = BearerProtector(CivicIDBearerValidator(self.store, self._clock))
        try:
            token = protector.acquire_token(request, ["openid"])
        except (MissingAuthorizationError, UnsupportedTokenTypeError):
            return OAuthResponse(401, "", (("WWW-Authenticate", f'Bearer realm="{CivicIDBearerValidator.REALM}"'),
                                           ("Cache-Control", "no-store")))
        except OAuth2Error as error:
            return self.server.handle_error_response(request, error)
        client = self.store.client(token.client_id)
        facts = self.store.citizen(token.citizen_id, with_profile=False)
        if client is None or facts is None:
            return self.server.handle_error_response(request, InvalidTokenError(realm="civicid"))
        grantee = Grantee(citizen_id=token.citizen_id, client_id=client.client_id, sector=client.sector,
                          claims=token.claims, acr=token.acr, amr=token.amr, auth_time=token.auth_time)
        # as in the ID token, so a client reading only userinfo still sees how the person signed in
        claims = {**self.server.user_claims(grantee), "acr": token.acr, "amr": list(token.amr),
                  "auth_time": int(token.auth_time.timestamp())}
        self.server.claims_released(grantee, channel="userinfo")
        return OAuthResponse(200, claims, NO_STORE)

    def jwks(self) -> dict:
        self.signing.ensure_all()  # the first request of a new deployment makes the first keys
        return self.signing.jwks()

    # --- RP-initiated logout 1.0 --------------------------------------------------------------

    def logout(self, request: StarletteOAuth2Request, *, signed: SignedIn | None):
        """The browser's session ends without asking only when ``id_token_hint`` is an ID token
        of this very session (its ``sid``, Front-Channel Logout 1.0 §3); any other request — no
        hint, an ID token of an earlier session or of another citizen — could be a forged
        logout, so the citizen is asked first (RP-Initiated Logout 1.0 §2: "the OP SHOULD ask
        the End-User whether to log out of the OP as well"; §6). Once asked, the request's
        parameters come back with the answer, so a verified ``post_logout_redirect_uri`` is
        still honoured."""
        try:
            validated = self.server.validate_endpoint_request("end_session", request)
        except OAuth2Error as error:
            return ErrorPage(error.error, error.description or "The sign-out request is not valid.")
        if signed is not None and not self._hint_is_this_session(validated.id_token_claims):
            confirmed = request.method == "POST" and csrf.csrf_valid(
                self._csrf_key, request.form.get("csrf"), session_token=self._session_token, purpose="logout")
            if not confirmed:
                client = validated.client
                data = request.payload.data
                return LogoutConfirm(client_name=client.name if client else None, csrf=self._csrf("logout"),
                                     fields=tuple((name, data[name]) for name in LOGOUT_PARAMS if data.get(name)))
        return SignedOut(self.server.create_endpoint_response("end_session", validated))

    def _hint_is_this_session(self, hint: dict | None) -> bool:
        if hint is None:
            return False
        return same_session(self._runtime.keys.hmac_key(SID_KEY_PURPOSE), sid=hint.get("sid"),
                            session_token=self._session_token, client_id=hint.get("aud"))

    # --- the citizen's consents -----------------------------------------------------------------

    def consents(self, citizen_id: str) -> list[ConsentView]:
        return self.store.consents(citizen_id)

    def revoke_consent(self, citizen_id: str, client_id: str) -> None:
        """Forget the consent and revoke the client's tokens for this citizen (access and refresh)."""
        if not self.store.revoke_consent(citizen_id, client_id[:64], now=self._clock.now()):
            raise ConsentNotFound()
        self.disclosures.consent_revoked(citizen_id, client_id)

    # --- helpers ------------------------------------------------------------------------------

    @property
    def _csrf_key(self) -> bytes:
        return self._runtime.keys.hmac_key(csrf.KEY_PURPOSE)

    def _csrf(self, purpose: str, payload: str = "") -> str:
        return csrf.csrf_token(self._csrf_key, session_token=self._session_token or "", purpose=purpose,
                               payload=payload)

    def _end_browser_session(self) -> None:
        SignInSessions(self._session, self._clock).end(self._session_token)

    def _too_old(self, signed: SignedIn, max_age: str | None) -> bool:
        """OIDC Core §3.1.2.1 ``max_age``: re-authenticate if the sign-in is older."""
        if max_age is None or not max_age.isdigit():
            return False
        return self._clock.now() - signed.auth_time > timedelta(seconds=int(max_age))

    def _issue_code(self, request: OAuth2Request, grant, signed: SignedIn, claims: tuple[str, ...]) -> OAuthResponse:
        client: ClientView = grant.request.client
        sid = (session_id(self._runtime.keys.hmac_key(SID_KEY_PURPOSE), session_token=self._session_token,
                          client_id=client.client_id) if self._session_token else None)
        grantee = Grantee(citizen_id=signed.citizen_id, client_id=client.client_id, sector=client.sector,
                          claims=claims, acr=signed.acr, amr=signed.amr, auth_time=signed.auth_time, sid=sid)
        return self.server.create_authorization_response(request, grant_user=grantee, grant=grant)

    def _error(self, request: OAuth2Request, error: OAuth2Error):
        """To the client if its redirect URI was validated (RFC 6749 §4.1.2.1), else a page:
        never redirect to an unverified URI."""
        if error.redirect_uri:
            if error.state is None:
                error.state = request.payload.state
            return self.server.handle_error_response(request, error)
        return ErrorPage(error.error, error.description or "The sign-in request is not valid.")

    @staticmethod
    def _return_url(request: StarletteOAuth2Request, *, drop_login: bool) -> str:
        """The authorization request to come back to after signing in. With ``prompt=login`` the
        "login" is removed, or signing in would only lead back to the sign-in page; the fresh
        ``auth_time`` in the ID token shows the client that the citizen signed in again."""
        pairs = []
        for key, value in request.query_pairs:
            if key == "prompt" and drop_login:
                value = " ".join(p for p in value.split() if p != "login")
                if not value:
                    continue
            pairs.append((key, value))
        return f"{AUTHORIZE_PATH}?{urlencode(pairs)}"
