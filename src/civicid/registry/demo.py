"""A demo population registry kept in CivicID's own database, encrypted like citizen data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.clock import Clock
from civicid.registry.errors import DemoRegistryOff, RegistryDuplicate, RegistryPersonNotFound
from civicid.registry.interfaces import RegistryRecord
from civicid.registry.models import RegistryPerson
from civicid.settings import Settings
from civicid.vault.store import FieldVault

TABLE = RegistryPerson.__tablename__
MAX_LISTED = 10_000


def demo_registry_in_use(settings: Settings) -> bool:
    """Whether the registry the service checks claims against is this demo registry."""
    return bool(settings.demo) and not settings.registry_url


def require_demo_registry(settings: Settings) -> None:
    """Raises DemoRegistryOff unless :func:`demo_registry_in_use`."""
    if not demo_registry_in_use(settings):
        raise DemoRegistryOff()


@dataclass(frozen=True, slots=True, repr=False)
class DemoRegistryEntry:
    """One demo registry person as an operator lists them: no photo. ``enrolled`` is whether a
    citizen holds the same ID number (the blind indexes are equal; nothing is decrypted for it)."""

    ref: str
    id_number: str
    name: str
    birth_date: date
    status: str
    created_at: datetime
    enrolled: bool

    @property
    def masked_id_number(self) -> str:
        """The region's first two and the last two characters (as ``IdNumber``'s repr)."""
        return self.id_number[:2] + "*" * (len(self.id_number) - 4) + self.id_number[-2:]

    def __repr__(self) -> str:  # never print personal data
        return f"DemoRegistryEntry(ref={self.ref!r}, enrolled={self.enrolled!r})"


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

    def entries(self, *, limit: int = MAX_LISTED) -> list[DemoRegistryEntry]:
        """The first ``limit`` people by date added (oldest first), each decrypted through the
        vault; the photos are not opened."""
        from civicid.identity.models import Citizen  # the registry does not otherwise know citizens

        rows = self._session.scalars(sa.select(RegistryPerson)
                                     .order_by(RegistryPerson.created_at, RegistryPerson.id).limit(limit)).all()
        indexes = [row.id_number_index for row in rows]
        enrolled = set(self._session.scalars(
            sa.select(Citizen.id_number_index).where(Citizen.id_number_index.in_(indexes)))) if indexes else set()
        entries = []
        for row in rows:
            owner = f"registry:{row.id}"

            def open_(column: str, blob: bytes) -> str:
                return self._vault.open_text(owner, blob, table=TABLE, column=column, row_id=row.id)

            entries.append(DemoRegistryEntry(
                ref=row.id, id_number=open_("id_number", row.id_number_ct), name=open_("name", row.name_ct),
                birth_date=date.fromisoformat(open_("birth_date", row.birth_date_ct)), status=row.status,
                created_at=row.created_at, enrolled=row.id_number_index in enrolled))
        return entries

    def remove(self, id_number: str) -> str:
        """Remove the person with this (normalised) number: their data key is destroyed first
        (crypto-shredding), then the row. Returns the removed row's id. A citizen who enrolled
        with the number keeps their CivicID; new enrolments with it are refused as unknown.

        Raises RegistryPersonNotFound."""
        index = self._vault.id_number_index(id_number)
        row = self._session.scalar(sa.select(RegistryPerson).where(RegistryPerson.id_number_index == index))
        if row is None:
            raise RegistryPersonNotFound()
        self._vault.destroy(f"registry:{row.id}")
        self._session.delete(row)
        self._session.flush()
        return row.id

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
