"""The provider's use cases, one method per endpoint; the web routes only translate HTTP.

Outcomes are data: an ``OAuthResponse`` to send as is (a redirect to the client, a token
response), or an instruction for the web layer (``SignInNeeded``, ``ConsentNeeded``,
``ErrorPage``, ``LogoutConfirm``, ``SignedOut``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode, urlsplit

from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from sqlalchemy.orm import Session

from civicid.identity.sessions import SignedIn, SignInSessions
from civicid.oidc import backchannel, csrf
from civicid.oidc.claims import LABELS, consent_items, releasable
from civicid.oidc.discovery import (AUTHORIZE_PATH, CLIENT_AUTH_METHODS, PAR_PATH, TOKEN_PATH, USERINFO_PATH,
                                    issuer_of)
from civicid.oidc.dpop import (DPOP_ALGS, DpopNonces, InvalidDpopProofError, proof_header, proof_jti_fresh,
                               verify_proof)
from civicid.oidc.disclosures import Disclosures
from civicid.oidc.errors import ConsentNotFound
from civicid.oidc.pairwise import KEY_PURPOSE as SUBJECT_KEY_PURPOSE
from civicid.oidc.policy import OidcPolicy
from civicid.oidc.server import BearerProtector, CivicIDAuthorizationServer, CivicIDBearerValidator
from civicid.oidc.session_id import KEY_PURPOSE as SID_KEY_PURPOSE
from civicid.oidc.session_id import same_session, session_id, session_key_of
from civicid.oidc.signing_keys import SigningKeys
from civicid.oidc.starlette_adapter import (OAuthResponse, StarletteJsonRequest, StarletteOAuth2Request,
                                            oauth2_request)
from civicid.oidc.storage import SqlOidcStore, digest
from civicid.oidc.ttl_cache import TtlCache
from civicid.oidc.views import ClientView, ConsentView, Grantee, PushedRequest, TokenView
from civicid.runtime import Runtime

SIGN_IN_PATH = "/signin"
NO_STORE = (("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Pragma", "no-cache"))
#: the logout request's parameters the confirmation form carries back (RP-Initiated Logout 1.0 §2)
#: RFC 9126 §2.2: the form of the ``request_uri`` a pushed request is given
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: client authentication, not part of the authorization request a client pushes
CLIENT_AUTH_PARAMS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})
DPOP_NONCE_KEY_PURPOSE = "oidc-dpop-nonce"
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
class Pushed:
    """The authorization request came by reference (RFC 9126 §4): the stored request and the
    hash of its ``request_uri``."""

    request_uri_hash: str
    request: PushedRequest


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
        resolved = self._resolve_pushed(request)
        if isinstance(resolved, ErrorPage):
            return resolved
        original, (request, pushed) = request, resolved
        try:
            grant = self.server.get_consent_grant(request, end_user=signed)
        except OAuth2Error as error:
            return self._error(request, error)
        data = request.payload.data
        prompts = set((data.get("prompt") or "").split())
        state = data.get("state")
        # a pushed request cannot drop "login" from its URL: signing in after it arrived is enough
        login = "login" in prompts and not (pushed and signed and signed.auth_time > pushed.request.opened_at)
        if signed is None or login or self._too_old(signed, data.get("max_age")):
            if "none" in prompts:
                return self._error(request, LoginRequiredError(redirect_uri=grant.redirect_uri, state=state))
            return SignInNeeded(self._return_url(original, drop_login="login" in prompts))

        client: ClientView = grant.request.client
        items = consent_items(grant.request.scope)
        consent = self.store.consent(signed.citizen_id, client.client_id)
        if consent is not None and consent.covers(items.all) and "consent" not in prompts:
            return self._issue_code(request, grant, signed, releasable(consent.granted, grant.request.scope),
                                    pushed=pushed)
        if "none" in prompts:
            return self._error(request, ConsentRequiredError(redirect_uri=grant.redirect_uri, state=state))

        query = urlsplit(original.uri).query
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
        resolved = self._resolve_pushed(authorize)
        if isinstance(resolved, ErrorPage):
            return resolved
        authorize, pushed = resolved
        try:
            grant = self.server.get_consent_grant(authorize, end_user=signed)
        except OAuth2Error as error:
            return self._error(authorize, error)
        if form.get("decision") != "allow":
            if pushed and not self.store.finish_pushed_request(pushed.request_uri_hash, now=self._clock.now()):
                return _REQUEST_URI_USED
            return self.server.create_authorization_response(authorize, grant_user=None, grant=grant)

        client: ClientView = grant.request.client
        items = consent_items(grant.request.scope)
        ticked = set(request.payload.datalist.get("claim", []))
        granted = items.required + tuple(c for c in items.optional if c in ticked)
        declined = tuple(c for c in items.optional if c not in ticked)
        self.store.save_consent(signed.citizen_id, client.client_id, asked=items.all, granted=granted,
                                now=self._clock.now())
        self.disclosures.consent_granted(signed.citizen_id, client.client_id, granted=granted, declined=declined)
        return self._issue_code(authorize, grant, signed, releasable(granted, grant.request.scope), pushed=pushed)

    def _resolve_pushed(self, request: StarletteOAuth2Request):
        """RFC 9126 §4: with ``request_uri``, the authorization request is the one the client
        pushed; the other parameters of the URL are ignored except ``client_id``, which must be
        the pushing client's. A client registered with ``require_pushed_authorization_requests``
        (§6) is refused without one. Returns ``(request, Pushed | None)`` or an ``ErrorPage``
        (never a redirect: the URL's ``redirect_uri`` was not pushed)."""
        data = request.payload.data
        client = self.store.client(data.get("client_id") or "")
        request_uri = data.get("request_uri")
        if request_uri is None:
            if client is not None and client.require_pushed_authorization_requests:
                return ErrorPage("invalid_request", "This service must push its authorization request first "
                                                    "(RFC 9126).")
            return request, None
        if client is None or not request_uri.startswith(REQUEST_URI_PREFIX) or len(request_uri) > 200:
            return _REQUEST_URI_INVALID
        uri_hash = digest(request_uri)
        stored = self.store.open_pushed_request(uri_hash, client_id=client.client_id, now=self._clock.now(),
                                                window_s=self.policy.par_signin_window_s)
        if stored is None:
            return _REQUEST_URI_INVALID
        resolved = StarletteOAuth2Request("GET", request.uri, request.headers, query=stored.params)
        return resolved, Pushed(uri_hash, stored)

    # --- pushed authorization requests (RFC 9126) ----------------------------------------------

    def push(self, request: StarletteOAuth2Request) -> OAuthResponse:
        """RFC 9126 §2: an authenticated client posts its authorization request and gets a
        one-time ``request_uri`` living ``policy.par_ttl_s`` (§2.2, 201). The request is
        checked as the authorization endpoint would (§2.1); errors are JSON (§2.3), never
        redirects."""
        try:
            client = self.server.authenticate_client(request, list(CLIENT_AUTH_METHODS),
                                                     endpoint="pushed_authorization")
            data = request.payload.data
            if "request_uri" in data:
                raise InvalidRequestError("'request_uri' cannot be pushed (RFC 9126 section 2.1).")
            params = tuple((k, v) for k, v in request.form_pairs if k not in CLIENT_AUTH_PARAMS)
            jkt = self._par_proof(request)
            if jkt is not None:
                if data.get("dpop_jkt", jkt) != jkt:
                    raise InvalidDpopProofError("'dpop_jkt' is not the key of the DPoP proof.")
                params = (*(p for p in params if p[0] != "dpop_jkt"), ("dpop_jkt", jkt))
            if "client_id" not in data:
                params = (("client_id", client.client_id), *params)
            authorize = StarletteOAuth2Request("GET", self.issuer + AUTHORIZE_PATH, request.headers, query=params)
            # who signs in is decided at the authorization endpoint: a stand-in keeps Authlib from
            # answering prompt=none with login_required here
            self.server.get_consent_grant(authorize, end_user=_NOT_SIGNED_IN_YET)
        except OAuth2Error as error:
            body = {"error": error.error}
            if error.description:
                body["error_description"] = error.description
            headers = [(k, v) for k, v in error.get_headers() if k.lower() == "www-authenticate"]
            return OAuthResponse(error.status_code or 400, body, (*NO_STORE, *headers))
        request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(32)
        self.store.push_request(digest(request_uri), client_id=client.client_id, params=params,
                                expires_at=self._clock.now() + timedelta(seconds=self.policy.par_ttl_s))
        return OAuthResponse(201, {"request_uri": request_uri, "expires_in": self.policy.par_ttl_s}, NO_STORE)

    def _par_proof(self, request: StarletteOAuth2Request) -> str | None:
        """RFC 9449 §10.1: a DPoP proof sent with a pushed request binds the code to its key (as
        ``dpop_jkt``); no server nonce is asked for here."""
        proof = proof_header(request.headers)
        if proof is None:
            return None
        checked = verify_proof(proof, method="POST", uri=self.issuer + PAR_PATH, now=self._clock.now(),
                               max_age_s=self.policy.dpop_proof_max_age_s, leeway_s=self.policy.dpop_leeway_s)
        if not proof_jti_fresh(self.store, checked, max_age_s=self.policy.dpop_proof_max_age_s,
                               leeway_s=self.policy.dpop_leeway_s):
            raise InvalidDpopProofError("The DPoP proof was used before (RFC 9449 section 11.1).")
        return checked.jkt

    # --- token, userinfo, keys ---------------------------------------------------------------

    def token(self, request: StarletteOAuth2Request) -> OAuthResponse:
        """RFC 6749 §3.2; with a ``DPoP`` header the tokens are bound to its key (RFC 9449 §5),
        the proof carrying this server's nonce (§8). The nonce comes back in ``DPoP-Nonce`` on
        every answer to a DPoP request."""
        dpop = "dpop" in request.headers
        try:
            self.server.dpop_jkt = self._token_proof(request)
            response = self.server.create_token_response(request)
        except OAuth2Error as error:
            response = self.server.handle_error_response(request, error)
        if not dpop or any(k.lower() == "dpop-nonce" for k, _ in response.headers):
            return response
        return OAuthResponse(response.status, response.body,
                             (*response.headers, ("DPoP-Nonce", self._nonces.current(self._clock.now()))))

    def _token_proof(self, request: StarletteOAuth2Request) -> str | None:
        proof = proof_header(request.headers)
        if proof is None:
            return None
        checked = verify_proof(proof, method="POST", uri=self.issuer + TOKEN_PATH, now=self._clock.now(),
                               max_age_s=self.policy.dpop_proof_max_age_s, leeway_s=self.policy.dpop_leeway_s,
                               nonces=self._nonces)
        if not proof_jti_fresh(self.store, checked, max_age_s=self.policy.dpop_proof_max_age_s,
                               leeway_s=self.policy.dpop_leeway_s):
            raise InvalidDpopProofError("The DPoP proof was used before (RFC 9449 section 11.1).")
        return checked.jkt

    @property
    def _nonces(self) -> DpopNonces:
        return DpopNonces(self._runtime.keys.hmac_key(DPOP_NONCE_KEY_PURPOSE),
                          window_s=self.policy.dpop_nonce_window_s)

    def userinfo(self, request: StarletteJsonRequest) -> OAuthResponse:
        """OIDC Core §5.3: the consented claims for the access token's citizen and client. The
        token comes in the Authorization header (RFC 6750 §2.1) or a form-encoded POST body
        (§2.2, ``request.body_tokens``), never both. Without either the answer is a bare
        challenge (§3.1: no error code for a request without authentication information). A
        DPoP-bound token comes as ``Authorization: DPoP`` with a proof of its key
        (``_dpop_token``); presented as a bearer token it is refused (RFC 9449 section 7.2)."""
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "dpop":
            try:
                token = self._dpop_token(request, credential.strip())
            except OAuth2Error as error:
                return _dpop_challenge(error)
            return self._userinfo_of(request, token)
        protector = BearerProtector(CivicIDBearerValidator(self.store, self._clock))
        try:
            token = protector.acquire_token(request, ["openid"])
        except (MissingAuthorizationError, UnsupportedTokenTypeError):
            return OAuthResponse(401, "", (("WWW-Authenticate", f'Bearer realm="{CivicIDBearerValidator.REALM}"'),
                                           ("Cache-Control", "no-store")))
        except OAuth2Error as error:
            return self.server.handle_error_response(request, error)
        if token.dpop_jkt:
            return _dpop_challenge(InvalidTokenError("The access token is DPoP-bound: send it with "
                                                     "'Authorization: DPoP' and a proof (RFC 9449 section 7.2)."))
        return self._userinfo_of(request, token)

    def _dpop_token(self, request: StarletteJsonRequest, access_token: str) -> TokenView:
        """RFC 9449 §7.1: a live DPoP-bound token with ``openid``, and a fresh proof for this
        request (``htm``, ``htu``, ``ath`` = the token's hash) signed by the key it is bound to."""
        if not access_token or len(access_token) > 512 or request.body_tokens:
            raise InvalidTokenError("Send the access token once, in the Authorization header.")
        token = self.store.access_token(digest(access_token), now=self._clock.now())
        if token is None or token.expired or token.revoked or "openid" not in token.scope.split():
            raise InvalidTokenError("The access token is not valid.")
        proof = proof_header(request.headers)
        if proof is None:
            raise InvalidDpopProofError("Send a DPoP proof with a DPoP-bound token.")
        checked = verify_proof(proof, method=request.method, uri=self.issuer + USERINFO_PATH,
                               now=self._clock.now(), max_age_s=self.policy.dpop_proof_max_age_s,
                               leeway_s=self.policy.dpop_leeway_s, access_token=access_token)
        if token.dpop_jkt != checked.jkt:
            raise InvalidDpopProofError("The DPoP proof is not signed by the key the token is bound to.")
        if not proof_jti_fresh(self.store, checked, max_age_s=self.policy.dpop_proof_max_age_s,
                               leeway_s=self.policy.dpop_leeway_s):
            raise InvalidDpopProofError("The DPoP proof was used before (RFC 9449 section 11.1).")
        return token

    def _userinfo_of(self, request: StarletteJsonRequest, token: TokenView) -> OAuthResponse:
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
        # Back-Channel Logout 1.0: the client ends the citizen's sessions there (sub, pairwise)
        backchannel.enqueue(self._session, self._runtime, citizen_id=citizen_id, client_ids=[client_id[:64]])
        self.disclosures.consent_revoked(citizen_id, client_id)

    # --- helpers ------------------------------------------------------------------------------

    @property
    def _csrf_key(self) -> bytes:
        return self._runtime.keys.hmac_key(csrf.KEY_PURPOSE)

    def _csrf(self, purpose: str, payload: str = "") -> str:
        return csrf.csrf_token(self._csrf_key, session_token=self._session_token or "", purpose=purpose,
                               payload=payload)

    def sign_out(self) -> None:
        """End the browser session (``session_token``) and notify the services (§2.7)."""
        self._end_browser_session()

    def _end_browser_session(self) -> None:
        sessions = SignInSessions(self._session, self._clock)
        signed = sessions.resolve(self._session_token)
        if signed is not None:
            # Back-Channel Logout 1.0 §2.7: the services the citizen uses end this browser
            # session there (its sid at each of them, with their pairwise sub)
            backchannel.enqueue(self._session, self._runtime, citizen_id=signed.citizen_id,
                                client_ids=[c.client_id for c in self.store.consents(signed.citizen_id)],
                                session_keys=[session_key_of(self._session_token)], session_only=True)
        sessions.end(self._session_token)

    def _too_old(self, signed: SignedIn, max_age: str | None) -> bool:
        """OIDC Core §3.1.2.1 ``max_age``: re-authenticate if the sign-in is older."""
        if max_age is None or not max_age.isdigit():
            return False
        return self._clock.now() - signed.auth_time > timedelta(seconds=int(max_age))

    def _issue_code(self, request: OAuth2Request, grant, signed: SignedIn, claims: tuple[str, ...], *,
                    pushed: Pushed | None = None) -> OAuthResponse | ErrorPage:
        if pushed and not self.store.finish_pushed_request(pushed.request_uri_hash, now=self._clock.now()):
            return _REQUEST_URI_USED
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


_NOT_SIGNED_IN_YET = object()
_REQUEST_URI_INVALID = ErrorPage("invalid_request_uri", "The request_uri is unknown, expired or already used: "
                                                        "go back to the service and start again.")
_REQUEST_URI_USED = ErrorPage("invalid_request_uri", "This sign-in request was already answered.")


def _dpop_challenge(error: OAuth2Error) -> OAuthResponse:
    """RFC 9449 §7.1: 401 with a ``DPoP`` challenge naming the error and the algorithms accepted."""
    description = (error.description or "").replace('"', "'")
    challenge = f'DPoP algs="{" ".join(DPOP_ALGS)}", error="{error.error}", error_description="{description}"'
    return OAuthResponse(401, {"error": error.error, "error_description": error.description or ""},
                         (*NO_STORE, ("WWW-Authenticate", challenge)))
