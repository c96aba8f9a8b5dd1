"""ES256 (P-256) ID-token signing keys: created on first use, rotated by ``civicid keys
rotate-signing``, published in the JWKS.

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
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from civicid.clock import Clock
from civicid.oidc.discovery import ID_TOKEN_ALG
from civicid.oidc.models import OidcSigningKey
from civicid.oidc.policy import OidcPolicy
from civicid.oidc.ttl_cache import TtlCache
from civicid.vault.store import FieldVault

TABLE = OidcSigningKey.__tablename__
CURRENT = "current"  # the key of the opened current key in the process's cache


def vault_owner(kid: str) -> str:
    return f"oidc-signing:{kid}"


@dataclass(frozen=True, slots=True)
class ActiveKey:
    kid: str
    private: ECKey = field(repr=False)

    @property
    def header(self) -> dict[str, str]:
        return {"alg": ID_TOKEN_ALG, "kid": self.kid, "typ": "JWT"}


@dataclass(frozen=True, slots=True)
class Rotation:
    new_kid: str
    retired: tuple[str, ...]
    published: tuple[str, ...]


class SigningKeys:
    """One unit of work's view of the signing keys (the current key is opened once per instance,
    or taken from ``cache``)."""

    def __init__(self, session: Session, vault: FieldVault, clock: Clock, *, policy: OidcPolicy,
                 cache: TtlCache[str, ActiveKey] | None = None) -> None:
        self._session = session
        self._vault = vault
        self._clock = clock
        self._policy = policy
        self._cache = cache
        self._current: ActiveKey | None = None

    def current(self) -> ActiveKey:
        """The newest unretired key, made now if there is none (first start)."""
        if self._current is None and self._cache is not None:
            self._current = self._cache.get(CURRENT, self._clock.now())
        if self._current is None:
            row = self._session.scalar(
                sa.select(OidcSigningKey).where(OidcSigningKey.retired_at.is_(None))
                .order_by(OidcSigningKey.created_at.desc(), OidcSigningKey.kid).limit(1)
            )
            self._current = self._open(row) if row is not None else self._create()
            if self._cache is not None and row is not None:  # a key made here is cached once committed
                self._cache.put(CURRENT, self._current, self._clock.now())
        return self._current

    def rotate(self) -> Rotation:
        """Make a new current key; retire and shred the private halves of all others."""
        now = self._clock.now()
        publish_until = now + timedelta(seconds=self._policy.id_token_ttl_s + self._policy.key_publish_margin_s)
        old = self._session.scalars(sa.select(OidcSigningKey).where(OidcSigningKey.retired_at.is_(None))).all()
        new = self._create()
        for row in old:
            row.retired_at = now
            row.publish_until = publish_until
            self._vault.destroy(vault_owner(row.kid))
        self._session.flush()
        return Rotation(new_kid=new.kid, retired=tuple(row.kid for row in old),
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

    def _create(self) -> ActiveKey:
        native = ec.generate_private_key(ec.SECP256R1())
        key = ECKey.import_key(native)
        kid = key.thumbprint()  # RFC 7638: stable, derived from the public key
        public = {**key.as_dict(private=False), "kid": kid, "alg": ID_TOKEN_ALG, "use": "sig"}
        der = native.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
        owner = vault_owner(kid)
        self._vault.create_key(owner)
        sealed = self._vault.seal(owner, der, table=TABLE, column="private_key_ct", row_id=kid)
        self._session.add(OidcSigningKey(kid=kid, alg=ID_TOKEN_ALG, public_jwk=json.dumps(public, sort_keys=True),
                                         private_key_ct=sealed, created_at=self._clock.now()))
        self._session.flush()
        self._current = ActiveKey(kid, ECKey.import_key(native, {"kid": kid, "alg": ID_TOKEN_ALG}))
        return self._current

    def _open(self, row: OidcSigningKey) -> ActiveKey:
        der = self._vault.open(vault_owner(row.kid), row.private_key_ct, table=TABLE, column="private_key_ct",
                               row_id=row.kid)
        native = serialization.load_der_private_key(der, password=None)
        return ActiveKey(row.kid, ECKey.import_key(native, {"kid": row.kid, "alg": ID_TOKEN_ALG}))
