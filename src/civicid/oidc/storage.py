"""``OidcStore`` over the ``oidc_*`` tables: the only place the provider's grants touch the database.

Codes and tokens are looked up by their SHA-256; the values themselves are never stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicid.db import HotStatement, Row
from civicid.identity.errors import CitizenNotFound
from civicid.identity.models import Citizen
from civicid.identity.service import CitizenService
from civicid.oidc.models import (OidcAuthorizationCode, OidcClient, OidcClientAssertion, OidcConsent,
                                 OidcDpopProof, OidcPushedRequest, OidcToken)
from civicid.oidc.ttl_cache import TtlCache
from civicid.oidc.views import CitizenFacts, ClientView, CodeView, ConsentView, PushedRequest, TokenView
from civicid.runtime import Runtime


# The sign-in statements, on the tables (not the ORM), built once.
_codes, _tokens, _consents = (OidcAuthorizationCode.__table__, OidcToken.__table__, OidcConsent.__table__)
_SAVE_CODE = HotStatement(_codes.insert())
_CLAIM_CODE = HotStatement(
    _codes.update()
    .where(_codes.c.code_hash == sa.bindparam("claimed_hash"), _codes.c.client_id == sa.bindparam("by"),
           _codes.c.used_at.is_(None))
    .values(used_at=sa.bindparam("now")).returning(*_codes.c))
_CODE_USED_AT = HotStatement(sa.select(_codes.c.used_at).where(_codes.c.code_hash == sa.bindparam("code_hash"),
                                                               _codes.c.client_id == sa.bindparam("client_id")))
_NONCE_SEEN = HotStatement(sa.select(sa.literal(1)).where(_codes.c.client_id == sa.bindparam("client_id"),
                                                          _codes.c.nonce == sa.bindparam("nonce")).limit(1))
_SAVE_TOKEN = HotStatement(_tokens.insert())
_BY_ACCESS_TOKEN = HotStatement(sa.select(_tokens).where(_tokens.c.access_token_hash == sa.bindparam("token_hash")))
_BY_REFRESH_TOKEN = HotStatement(sa.select(_tokens).where(_tokens.c.refresh_token_hash == sa.bindparam("token_hash")))
_CONSENT = HotStatement(sa.select(_consents).where(_consents.c.citizen_id == sa.bindparam("citizen_id"),
                                                   _consents.c.client_id == sa.bindparam("client_id")))


_UPSERT_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def digest(value: str) -> str:
    """How codes, tokens and assertion ids are keyed at rest."""
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def _words(value: str) -> tuple[str, ...]:
    return tuple(value.split())


def client_view(row: OidcClient) -> ClientView:
    return ClientView(
        client_id=row.client_id, name=row.name, token_endpoint_auth_method=row.token_endpoint_auth_method,
        redirect_uris=tuple(json.loads(row.redirect_uris)),
        post_logout_redirect_uris=tuple(json.loads(row.post_logout_redirect_uris)),
        sector=row.sector_identifier, secret_hash=row.secret_hash,
        jwks=json.loads(row.jwks) if row.jwks else None, id_token_signed_response_alg=row.id_token_signed_response_alg,
        require_pushed_authorization_requests=bool(row.require_pushed_authorization_requests),
        dpop_bound_access_tokens=bool(row.dpop_bound_access_tokens),
    )


def _code_view(row: Row) -> CodeView:
    return CodeView(
        code_hash=row.code_hash, client_id=row.client_id, citizen_id=row.citizen_id,
        redirect_uri=row.redirect_uri, scope=row.scope, claims=_words(row.claims), nonce=row.nonce,
        code_challenge=row.code_challenge, code_challenge_method=row.code_challenge_method,
        acr=row.acr, amr=tuple(filter(None, row.amr.split(","))), auth_time=row.auth_time, sid=row.sid,
        dpop_jkt=row.dpop_jkt,
    )


def _token_view(row: Row, now: datetime) -> TokenView:
    return TokenView(
        id=row.id, grant_id=row.grant_id, client_id=row.client_id, citizen_id=row.citizen_id, scope=row.scope,
        claims=_words(row.claims), acr=row.acr, amr=tuple(filter(None, row.amr.split(","))),
        auth_time=row.auth_time, expires_in=max(0, int((row.expires_at - row.issued_at).total_seconds())),
        refresh_expires_at=row.refresh_expires_at, revoked=row.revoked_at is not None,
        expired=row.expires_at <= now, dpop_jkt=row.dpop_jkt,
    )


class SqlOidcStore:
    """One unit of work's hooks. Clients and citizens read once are kept for the rest of it
    (the session's identity map holds rows only weakly, and Authlib asks for the client
    several times per request). Active clients are also kept in ``client_cache``, shared by the
    process's units of work: every sign-in reads its client three times."""

    def __init__(self, session: Session, runtime: Runtime, *,
                 client_cache: TtlCache[str, ClientView] | None = None) -> None:
        self._session = session
        self._runtime = runtime
        self._client_cache = client_cache
        self._clients: dict[str, ClientView | None] = {}
        self._citizens: dict[str, Citizen | Row | None] = {}
        self._nonces: dict[tuple[str, str], bool] = {}
        self._citizen_service = CitizenService(session, runtime.vault(session), runtime.clock)

    # --- clients ---------------------------------------------------------------------------

    def client(self, client_id: str) -> ClientView | None:
        if not isinstance(client_id, str) or len(client_id) > 64:
            return None
        if client_id not in self._clients:
            now = self._runtime.clock.now()
            view = self._client_cache.get(client_id, now) if self._client_cache is not None else None
            if view is None:
                row = self._session.get(OidcClient, client_id)
                view = client_view(row) if row is not None and row.active else None
                if view is not None and self._client_cache is not None:
                    self._client_cache.put(client_id, view, now)
            self._clients[client_id] = view
        return self._clients[client_id]

    # --- authorization codes (RFC 6749 §4.1.2, §10.5) --------------------------------------

    def save_code(self, *, code_hash: str, client_id: str, citizen_id: str, redirect_uri: str, scope: str,
                  claims: Sequence[str], nonce: str | None, code_challenge: str, code_challenge_method: str,
                  acr: str, amr: Sequence[str], auth_time: datetime, expires_at: datetime,
                  sid: str | None = None, dpop_jkt: str | None = None) -> None:
        _SAVE_CODE.run(self._session, dict(
            code_hash=code_hash, client_id=client_id, citizen_id=citizen_id, redirect_uri=redirect_uri,
            scope=scope, claims=" ".join(claims), nonce=nonce, code_challenge=code_challenge,
            code_challenge_method=code_challenge_method, acr=acr, amr=",".join(amr), auth_time=auth_time,
            sid=sid, dpop_jkt=dpop_jkt, expires_at=expires_at, used_at=None,
        ))

    def claim_code(self, code_hash: str, *, client_id: str, now: datetime) -> CodeView | None:
        """Mark the code used and return it, in one UPDATE ... RETURNING: of two concurrent
        redemptions only one gets the row. A code seen used before is a replay (RFC 6749 §4.1.2):
        the tokens issued from it are revoked."""
        claimed = _CLAIM_CODE.run(self._session, {"claimed_hash": code_hash, "by": client_id,
                                                      "now": now}).one_or_none()
        if claimed is None:
            used = _CODE_USED_AT.run(self._session, {"code_hash": code_hash, "client_id": client_id}).scalar()
            if used is not None:
                self.revoke_grant(code_hash, now=now)
            return None
        if claimed.expires_at <= now:
            return None
        return _code_view(claimed)

    def nonce_seen(self, client_id: str, nonce: str) -> bool:
        """Asked once when the request is checked and again when the code is made."""
        if (client_id, nonce) not in self._nonces:
            seen = _NONCE_SEEN.run(self._session, {"client_id": client_id, "nonce": nonce}).scalar()
            self._nonces[(client_id, nonce)] = seen is not None
        return self._nonces[(client_id, nonce)]

    # --- tokens -------------------------------------------------------------------------------

    def save_token(self, *, grant_id: str, client_id: str, citizen_id: str, access_token_hash: str,
                   refresh_token_hash: str | None, scope: str, claims: Sequence[str], acr: str,
                   amr: Sequence[str], auth_time: datetime, issued_at: datetime, expires_at: datetime,
                   refresh_expires_at: datetime | None, dpop_jkt: str | None = None) -> None:
        _SAVE_TOKEN.run(self._session, dict(
            id=str(uuid.uuid4()), grant_id=grant_id, client_id=client_id, citizen_id=citizen_id,
            access_token_hash=access_token_hash, refresh_token_hash=refresh_token_hash, scope=scope,
            claims=" ".join(claims), acr=acr, amr=",".join(amr), auth_time=auth_time, issued_at=issued_at,
            expires_at=expires_at, refresh_expires_at=refresh_expires_at, revoked_at=None, dpop_jkt=dpop_jkt,
        ))

    def access_token(self, token_hash: str, *, now: datetime) -> TokenView | None:
        row = _BY_ACCESS_TOKEN.run(self._session, {"token_hash": token_hash}).one_or_none()
        return None if row is None else _token_view(row, now)

    def refresh_token(self, token_hash: str, *, now: datetime) -> TokenView | None:
        row = _BY_REFRESH_TOKEN.run(self._session, {"token_hash": token_hash}).one_or_none()
        if row is None:
            return None
        if row.revoked_at is not None:
            self.revoke_grant(row.grant_id, now=now)
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= now:
            return None
        return _token_view(row, now)

    def revoke_token(self, token_id: str, *, now: datetime) -> bool:
        return self._session.execute(
            sa.update(OidcToken).where(OidcToken.id == token_id, OidcToken.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False)
        ).rowcount == 1

    def revoke_grant(self, grant_id: str, *, now: datetime) -> int:
        return self._session.execute(
            sa.update(OidcToken).where(OidcToken.grant_id == grant_id, OidcToken.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False)
        ).rowcount

    # --- consent -------------------------------------------------------------------------------

    def _consent_view(self, row: OidcConsent | Row, client_name: str | None = None) -> ConsentView:
        if client_name is None:
            client = self.client(row.client_id)
            client_name = client.name if client else row.client_id
        return ConsentView(citizen_id=row.citizen_id, client_id=row.client_id, client_name=client_name,
                           asked=_words(row.asked), granted=_words(row.granted), granted_at=row.granted_at)

    def consent(self, citizen_id: str, client_id: str) -> ConsentView | None:
        row = _CONSENT.run(self._session, {"citizen_id": citizen_id, "client_id": client_id}).one_or_none()
        return None if row is None else self._consent_view(row)

    def consents(self, citizen_id: str) -> list[ConsentView]:
        rows = self._session.execute(
            sa.select(OidcConsent, OidcClient.name)
            .join(OidcClient, OidcClient.client_id == OidcConsent.client_id, isouter=True)
            .where(OidcConsent.citizen_id == citizen_id)
            .order_by(OidcConsent.granted_at.desc(), OidcConsent.client_id)
        ).all()
        return [self._consent_view(row, name or row.client_id) for row, name in rows]

    def save_consent(self, citizen_id: str, client_id: str, *, asked: Sequence[str], granted: Sequence[str],
                     now: datetime) -> ConsentView:
        """Merge this answer into what the citizen said before: items asked now take the new
        answer, items asked before and not now keep theirs."""
        row = self._session.get(OidcConsent, (citizen_id, client_id), with_for_update=True)
        if row is None:
            row = OidcConsent(citizen_id=citizen_id, client_id=client_id, asked="", granted="", granted_at=now)
            self._session.add(row)
        old_asked, old_granted = _words(row.asked), _words(row.granted)
        row.asked = " ".join(dict.fromkeys(old_asked + tuple(asked)))
        kept = tuple(item for item in old_granted if item not in asked)
        row.granted = " ".join(dict.fromkeys(kept + tuple(granted)))
        row.granted_at = now
        self._session.flush()
        return self._consent_view(row)

    def revoke_consent(self, citizen_id: str, client_id: str, *, now: datetime) -> bool:
        deleted = self._session.execute(
            sa.delete(OidcConsent).where(OidcConsent.citizen_id == citizen_id, OidcConsent.client_id == client_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        self._session.execute(
            sa.update(OidcToken)
            .where(OidcToken.citizen_id == citizen_id, OidcToken.client_id == client_id,
                   OidcToken.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False)
        )
        return deleted == 1

    # --- private_key_jwt assertions (RFC 7523 §3) ---------------------------------------------

    def use_jti(self, client_id: str, jti: str, *, expires_at: datetime, now: datetime) -> bool:
        self._session.execute(sa.delete(OidcClientAssertion).where(OidcClientAssertion.expires_at < now)
                              .execution_options(synchronize_session=False))
        key = digest(f"{client_id}\x00{jti}")
        if self._session.get(OidcClientAssertion, key) is not None:
            return False
        try:
            with self._session.begin_nested():
                self._session.add(OidcClientAssertion(jti_hash=key, expires_at=max(expires_at, now)))
        except sa.exc.IntegrityError:
            return False
        return True

    # --- pushed authorization requests (RFC 9126) ----------------------------------------------

    def push_request(self, request_uri_hash: str, *, client_id: str, params: Sequence[tuple[str, str]],
                     expires_at: datetime) -> None:
        self._session.add(OidcPushedRequest(request_uri_hash=request_uri_hash, client_id=client_id,
                                            params=json.dumps([list(p) for p in params]), expires_at=expires_at))
        self._session.flush()

    def open_pushed_request(self, request_uri_hash: str, *, client_id: str, now: datetime,
                            window_s: int) -> PushedRequest | None:
        """The pushed request if it is the client's, live and not answered yet. Its first visit
        must come before ``expires_at`` and keeps it usable ``window_s`` for signing in and
        consenting (reloads included)."""
        row = self._session.get(OidcPushedRequest, request_uri_hash, with_for_update=True)
        if row is None or row.client_id != client_id or row.done_at is not None or row.expires_at <= now:
            return None
        if row.opened_at is None:
            row.opened_at = now
            row.expires_at = now + timedelta(seconds=window_s)
            self._session.flush()
        return PushedRequest(client_id=row.client_id, params=tuple(tuple(p) for p in json.loads(row.params)),
                             opened_at=row.opened_at)

    def finish_pushed_request(self, request_uri_hash: str, *, now: datetime) -> bool:
        """Mark the request answered; False if it already was (a concurrent second answer)."""
        return self._session.execute(
            sa.update(OidcPushedRequest)
            .where(OidcPushedRequest.request_uri_hash == request_uri_hash, OidcPushedRequest.done_at.is_(None))
            .values(done_at=now).execution_options(synchronize_session=False)
        ).rowcount == 1

    # --- DPoP proofs (RFC 9449 §11.1) -----------------------------------------------------------

    def use_dpop_jti(self, jkt: str, jti: str, *, expires_at: datetime) -> bool:
        """Remember a DPoP proof's ``jti`` for its key; False if it was seen before. The unique
        key decides between concurrent workers; expired rows go with the maintenance pruner."""
        row = {"jti_hash": digest(f"{jkt}\x00{jti}"), "expires_at": expires_at}
        dialect = self._session.get_bind().dialect.name
        if dialect in _UPSERT_INSERTS:  # one statement, no savepoint: two round trips fewer per proof
            table = OidcDpopProof.__table__
            inserted = self._session.execute(_UPSERT_INSERTS[dialect](table).values(**row)
                                             .on_conflict_do_nothing().returning(table.c.jti_hash))
            return inserted.scalar() is not None
        try:
            with self._session.begin_nested():
                self._session.add(OidcDpopProof(**row))
        except sa.exc.IntegrityError:
            return False
        return True

    # --- citizens -------------------------------------------------------------------------------

    def citizen(self, citizen_id: str, *, with_profile: bool) -> CitizenFacts | None:
        if citizen_id not in self._citizens:
            try:
                self._citizens[citizen_id] = self._citizen_service.get(citizen_id, with_data_key=True)
            except CitizenNotFound:
                self._citizens[citizen_id] = None
        citizen = self._citizens[citizen_id]
        if citizen is None:
            return None
        verified = bool(citizen.verification)
        if not with_profile:
            return CitizenFacts(citizen_id, verified)
        profile = self._citizen_service.profile(citizen)
        return CitizenFacts(citizen_id, verified, name=profile.name, birth_date=profile.birth_date)
