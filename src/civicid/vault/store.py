"""The database side of the vault: wrapped data keys per owner and the fields sealed under them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from civicid.clock import Clock
from civicid.vault.blind_index import blind_index
from civicid.vault.datakeys import DataKey, create_data_key, open_data_key
from civicid.vault.envelope import decrypt_field, encrypt_field
from civicid.vault.interfaces import KeyProvider, WrappedKey
from civicid.vault.models import WrappedDataKey

BLIND_INDEX_PURPOSE = "blind_index.id_number"


_data_keys = WrappedDataKey.__table__


def joined_key() -> tuple[sa.Table, sa.ColumnElement[bool]]:
    """The table and ON clause to outer-join an owner's wrapped data key into a query of the
    owner's row; the owner is the bind parameter ``data_key_owner``. Give the joined row's
    ``kek_id`` and ``wrapped`` to ``FieldVault.adopt_key``."""
    return _data_keys, _data_keys.c.owner == sa.bindparam("data_key_owner")


class FieldVault:
    """Seals and opens the personal fields of owners ("citizen:<id>", "registry:<id>").

    Unwrapped data keys live only in this object, i.e. for one unit of work.
    """

    def __init__(self, session: Session, provider: KeyProvider, clock: Clock) -> None:
        self._session = session
        self._provider = provider
        self._clock = clock
        self._keys: dict[str, DataKey] = {}
        self._read: dict[str, WrappedKey | None] = {}  # keys read along with their owner's row

    def __repr__(self) -> str:
        return f"FieldVault(owners={len(self._keys)})"

    def create_key(self, owner: str) -> None:
        new = create_data_key(self._provider, owner=owner)
        self._session.add(WrappedDataKey(owner=owner, kek_id=new.wrapped.kek_id, wrapped=new.wrapped.blob,
                                         created_at=self._clock.now()))
        self._keys[owner] = new.dek

    def adopt_key(self, owner: str, *, kek_id: str | None, wrapped: bytes | None) -> None:
        """The owner's wrapped key, read along with their row (``joined_key``; both None if the
        key was shredded): opening or sealing their fields then needs no query of its own."""
        self._read.setdefault(owner, None if kek_id is None else WrappedKey(kek_id=kek_id, blob=wrapped))

    def _key(self, owner: str) -> DataKey:
        if owner not in self._keys:
            if owner in self._read:
                wrapped = self._read.pop(owner)
            else:
                row = self._session.get(WrappedDataKey, owner)
                wrapped = None if row is None else WrappedKey(kek_id=row.kek_id, blob=row.wrapped)
            self._keys[owner] = open_data_key(self._provider, wrapped, owner=owner)
        return self._keys[owner]

    def destroy(self, owner: str) -> None:
        """Crypto-shredding: without the wrapped key, every field sealed under it is noise."""
        self._session.execute(sa.delete(WrappedDataKey).where(WrappedDataKey.owner == owner))
        self._keys.pop(owner, None)

    def seal(self, owner: str, value: str | bytes, *, table: str, column: str, row_id: str) -> bytes:
        data = value.encode("utf-8") if isinstance(value, str) else value
        return encrypt_field(self._key(owner), data, table=table, column=column, row_id=row_id)

    def open(self, owner: str, blob: bytes, *, table: str, column: str, row_id: str) -> bytes:
        return decrypt_field(self._key(owner), blob, table=table, column=column, row_id=row_id)

    def open_text(self, owner: str, blob: bytes, *, table: str, column: str, row_id: str) -> str:
        return self.open(owner, blob, table=table, column=column, row_id=row_id).decode("utf-8")

    def id_number_index(self, normalised_id_number: str) -> bytes:
        return blind_index(self._provider.hmac_key(BLIND_INDEX_PURPOSE), normalised_id_number)


class SqlWrappedKeyStore:
    """``WrappedKeyStore`` over ``data_keys`` for ``rewrap_all``.

    Each batch is committed when the next one is asked for, so an interrupted rotation keeps
    every finished batch and resumes after it.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._session = factory()

    def stale_batch(self, current_kek_id: str, *, after: str | None, limit: int) -> list[tuple[str, WrappedKey]]:
        self._session.commit()
        query = sa.select(WrappedDataKey.owner, WrappedDataKey.kek_id, WrappedDataKey.wrapped).where(
            WrappedDataKey.kek_id != current_kek_id)
        if after is not None:
            query = query.where(WrappedDataKey.owner > after)
        rows = self._session.execute(query.order_by(WrappedDataKey.owner).limit(limit)).all()
        return [(owner, WrappedKey(kek_id=kek_id, blob=blob)) for owner, kek_id, blob in rows]

    def replace(self, owner: str, *, expected: WrappedKey, new: WrappedKey) -> bool:
        result = self._session.execute(
            sa.update(WrappedDataKey)
            .where(WrappedDataKey.owner == owner, WrappedDataKey.kek_id == expected.kek_id,
                   WrappedDataKey.wrapped == expected.blob)
            .values(kek_id=new.kek_id, wrapped=new.blob)
        )
        return result.rowcount == 1

    def close(self) -> None:
        self._session.commit()
        self._session.close()
