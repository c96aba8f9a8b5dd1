"""ID-token signing keys, one current key per algorithm: ES256 (P-256, the default) and RS256
(RSA 2048, for clients registered with ``id_token_signed_response_alg=RS256``; OIDC Core §15.1).
Created on first use, rotated together by ``civicid keys rotate-signing``, published in the JWKS.

Private keys are sealed by the vault under a data key per signing key (owner
``oidc-signing:<kid>``), so the database holds no usable private key. Rotation makes a new
current key and retires the others: a retired key's data key is destroyed at once (nothing may
sign with it again), while its public half stays in the JWKS until every ID token it signed has
expired (RFC 7517 §5; OIDC Core §10.1.1 on rotating signing keys). A server process keeps the
current key it opened for ``OidcPolicy.key_cache_ttl_s`` (a :class:`TtlCache`), so after a
rotation it may sign with the retired key that long; the key stays published for longer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy.orm import Session

from civicid.clock import Clock
from civicid.oidc.discovery import ID_TOKEN_ALG, ID_TOKEN_ALGS
from civicid.oidc.models import OidcSigningKey
from civicid.oidc.policy import OidcPolicy
from civicid.oidc.ttl_cache import TtlCache
from civicid.vault.store import FieldVault

TABLE = OidcSigningKey.__tablename__
RSA_BITS = 2048  # RFC 7518 §3.3: 2048 bits or larger
_KEY_TYPES = {"ES256": ECKey, "RS256": RSAKey}


def vault_owner(kid: str) -> str:
    return f"oidc-signing:{kid}"


def _generate(alg: str):
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise ValueError(f"no ID-token signing key for {alg!r}")


@dataclass(frozen=True, slots=True)
class ActiveKey:
    kid: str
    private: ECKey | RSAKey = field(repr=False)
    alg: str = ID_TOKEN_ALG

    @property
    def header(self) -> dict[str, str]:
        return {"alg": self.alg, "kid": self.kid, "typ": "JWT"}


@dataclass(frozen=True, slots=True)
class Rotation:
    new_kids: dict[str, str]  # algorithm -> the new current key's kid
    retired: tuple[str, ...]
    published: tuple[str, ...]

    @property
    def new_kid(self) -> str:
        """The new key of the default algorithm."""
        return self.new_kids[ID_TOKEN_ALG]


class SigningKeys:
    """One unit of work's view of the signing keys (each current key is opened once per
    instance, or taken from ``cache``, keyed by algorithm)."""

    def __init__(self, session: Session, vault: FieldVault, clock: Clock, *, policy: OidcPolicy,
                 cache: TtlCache[str, ActiveKey] | None = None) -> None:
        self._session = session
        self._vault = vault
        self._clock = clock
        self._policy = policy
        self._cache = cache
        self._current: dict[str, ActiveKey] = {}

    def current(self, alg: str = ID_TOKEN_ALG) -> ActiveKey:
        """The newest unretired key for ``alg``, made now if there is none (first start)."""
        key = self._current.get(alg)
        if key is None and self._cache is not None:
            key = self._cache.get(alg, self._clock.now())
        if key is None:
            if alg not in ID_TOKEN_ALGS:
                raise ValueError(f"no ID-token signing key for {alg!r}")
            row = self._session.scalar(
                sa.select(OidcSigningKey).where(OidcSigningKey.retired_at.is_(None), OidcSigningKey.alg == alg)
                .order_by(OidcSigningKey.created_at.desc(), OidcSigningKey.kid).limit(1)
            )
            key = self._open(row) if row is not None else self._create(alg)
            if self._cache is not None and row is not None:  # a key made here is cached once committed
                self._cache.put(alg, key, self._clock.now())
        self._current[alg] = key
        return key

    def ensure_all(self) -> None:
        """A current key for every algorithm, so the JWKS holds each before any token needs it
        (a relying party may have cached the JWKS before its first RS256 ID token)."""
        for alg in ID_TOKEN_ALGS:
            self.current(alg)

    def rotate(self) -> Rotation:
        """Make a new current key for every algorithm; retire and shred the private halves of
        all others."""
        now = self._clock.now()
        publish_until = now + timedelta(seconds=self._policy.id_token_ttl_s + self._policy.key_publish_margin_s)
        old = self._session.scalars(sa.select(OidcSigningKey).where(OidcSigningKey.retired_at.is_(None))).all()
        new = {alg: self._create(alg).kid for alg in ID_TOKEN_ALGS}
        for row in old:
            row.retired_at = now
            row.publish_until = publish_until
            self._vault.destroy(vault_owner(row.kid))
        self._session.flush()
        return Rotation(new_kids=new, retired=tuple(row.kid for row in old),
                        published=tuple(k["kid"] for k in self.jwks()["keys"]))

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys to publish: current ones and retired ones whose tokens may still be live."""
        now = self._clock.now()
        rows = self._session.scalars(
            sa.select(OidcSigningKey)
            .where(sa.or_(OidcSigningKey.retired_at.is_(None), OidcSigningKey.publish_until > now))
            .order_by(OidcSigningKey.created_at.desc(), OidcSigningKey.kid)
        ).all()
        return {"keys": [json.loads(row.public_jwk) for row in rows]}

    def _create(self, alg: str) -> ActiveKey:
        native = _generate(alg)
        key_type = _KEY_TYPES[alg]
        key = key_type.import_key(native)
        kid = key.thumbprint()  # RFC 7638: stable, derived from the public key
        public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
        der = native.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
        owner = vault_owner(kid)
        self._vault.create_key(owner)
        sealed = self._vault.seal(owner, der, table=TABLE, column="private_key_ct", row_id=kid)
        self._session.add(OidcSigningKey(kid=kid, alg=alg, public_jwk=json.dumps(public, sort_keys=True),
                                         private_key_ct=sealed, created_at=self._clock.now()))
        self._session.flush()
        self._current[alg] = ActiveKey(kid, key_type.import_key(native, {"kid": kid, "alg": alg}), alg)
        return self._current[alg]

    def _open(self, row: OidcSigningKey) -> ActiveKey:
        der = self._vault.open(vault_owner(row.kid), row.private_key_ct, table=TABLE, column="private_key_ct",
                               row_id=row.kid)
        native = serialization.load_der_private_key(der, password=None)
        return ActiveKey(row.kid, _KEY_TYPES[row.alg].import_key(native, {"kid": row.kid, "alg": row.alg}), row.alg)
