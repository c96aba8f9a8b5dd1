"""A demo population registry kept in CivicID's own database, encrypted like citizen data."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.clock import Clock
from civicid.registry.errors import RegistryDuplicate
from civicid.registry.interfaces import RegistryRecord
from civicid.registry.models import RegistryPerson
from civicid.vault.store import FieldVault

TABLE = RegistryPerson.__tablename__


class DemoRegistry:
    def __init__(self, session: Session, vault: FieldVault, clock: Clock) -> None:
        self._session = session
        self._vault = vault
        self._clock = clock

    def add(self, record: RegistryRecord) -> str:
        index = self._vault.id_number_index(record.id_number)
        exists = self._session.scalar(sa.select(RegistryPerson.id).where(RegistryPerson.id_number_index == index))
        if exists:
            raise RegistryDuplicate()
        person_id = str(uuid.uuid4())
        owner = f"registry:{person_id}"
        self._vault.create_key(owner)

        def seal(column: str, value: str | bytes) -> bytes:
            return self._vault.seal(owner, value, table=TABLE, column=column, row_id=person_id)

        self._session.add(RegistryPerson(
            id=person_id, id_number_index=index,
            id_number_ct=seal("id_number", record.id_number), name_ct=seal("name", record.name),
            birth_date_ct=seal("birth_date", record.birth_date.isoformat()), sex_ct=seal("sex", record.sex),
            photo_ct=seal("photo", record.photo), status=record.status, created_at=self._clock.now(),
        ))
        self._session.flush()
        return person_id

    def lookup(self, id_number: str) -> RegistryRecord | None:
        index = self._vault.id_number_index(id_number)
        row = self._session.scalar(sa.select(RegistryPerson).where(RegistryPerson.id_number_index == index))
        return None if row is None else self._record(row)

    def get(self, person_id: str) -> RegistryRecord | None:
        row = self._session.get(RegistryPerson, person_id)
        return None if row is None else self._record(row)

    def _record(self, row: RegistryPerson) -> RegistryRecord:
        owner = f"registry:{row.id}"

        def open_(column: str, blob: bytes) -> bytes:
            return self._vault.open(owner, blob, table=TABLE, column=column, row_id=row.id)

        return RegistryRecord(
            id_number=open_("id_number", row.id_number_ct).decode(),
            name=open_("name", row.name_ct).decode(),
            birth_date=date.fromisoformat(open_("birth_date", row.birth_date_ct).decode()),
            sex=open_("sex", row.sex_ct).decode(),  # type: ignore[arg-type]
            photo=open_("photo", row.photo_ct),
            status=row.status,  # type: ignore[arg-type]
            ref=row.id,
        )
