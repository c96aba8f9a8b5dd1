"""Citizens: created by a successful enrolment, found by blind index, deleted by crypto-shredding."""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from civicid.clock import Clock
from civicid.db import HotStatement, Row
from civicid.identity.errors import CitizenNotFound
from civicid.identity.models import Citizen
from civicid.registry.interfaces import RegistryRecord
from civicid.vault.store import FieldVault, joined_key

TABLE = Citizen.__tablename__
_citizens = Citizen.__table__
_keys, _key_on = joined_key()
_WITH_DATA_KEY = HotStatement(  # the sign-in's read of a citizen
    sa.select(_citizens, _keys.c.kek_id, _keys.c.wrapped).outerjoin_from(_citizens, _keys, _key_on)
    .where(_citizens.c.id == sa.bindparam("citizen_id")))


def data_key_owner(citizen_id: str) -> str:
    """The vault owner whose data key seals a citizen's fields."""
    return f"citizen:{citizen_id}"


def new_network_id() -> str:
    """26 characters of base32: 128 random bits, unrelated to anything personal."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


@dataclass(frozen=True, slots=True)
class CitizenProfile:
    citizen_id: str
    network_id: str
    name: str
    id_number: str
    birth_date: date
    verification: str

    def __repr__(self) -> str:
        return f"CitizenProfile(citizen_id={self.citizen_id!r})"


class CitizenService:
    def __init__(self, session: Session, vault: FieldVault, clock: Clock) -> None:
        self._session = session
        self._vault = vault
        self._clock = clock

    def create(self, record: RegistryRecord, *, verification: str, template: np.ndarray | None = None) -> Citizen:
        citizen_id = str(uuid.uuid4())
        owner = data_key_owner(citizen_id)
        self._vault.create_key(owner)

        def seal(column: str, value: str | bytes) -> bytes:
            return self._vault.seal(owner, value, table=TABLE, column=column, row_id=citizen_id)

        citizen = Citizen(
            id=citizen_id, network_id=new_network_id(),
            id_number_index=self._vault.id_number_index(record.id_number),
            id_number_ct=seal("id_number", record.id_number), name_ct=seal("name", record.name),
            birth_date_ct=seal("birth_date", record.birth_date.isoformat()),
            template_ct=None if template is None else seal("template", np.asarray(template, "<f4").tobytes()),
            verification=verification, enrolled_at=self._clock.now(),
        )
        self._session.add(citizen)
        self._session.flush()
        return citizen

    def find_by_id_number(self, id_number: str) -> Citizen | None:
        index = self._vault.id_number_index(id_number)
        return self._session.scalar(sa.select(Citizen).where(Citizen.id_number_index == index))

    def get(self, citizen_id: str, *, with_data_key: bool = False) -> Citizen | Row:
        """``with_data_key``: read the citizen's wrapped data key in the same query, for a
        ``profile`` that follows (the sign-in hot path); the citizen then comes back as a
        read-only row with the same attributes."""
        if not with_data_key:
            citizen = self._session.get(Citizen, citizen_id)
        else:
            owner = data_key_owner(citizen_id)
            citizen = _WITH_DATA_KEY.run(self._session, {"citizen_id": citizen_id,
                                                             "data_key_owner": owner}).one_or_none()
            if citizen is not None:
                self._vault.adopt_key(owner, kek_id=citizen.kek_id, wrapped=citizen.wrapped)
        if citizen is None:
            raise CitizenNotFound()
        return citizen

    def profile(self, citizen: Citizen | Row) -> CitizenProfile:
        owner = data_key_owner(citizen.id)

        def open_(column: str, blob: bytes) -> str:
            return self._vault.open_text(owner, blob, table=TABLE, column=column, row_id=citizen.id)

        return CitizenProfile(
            citizen_id=citizen.id, network_id=citizen.network_id, name=open_("name", citizen.name_ct),
            id_number=open_("id_number", citizen.id_number_ct),
            birth_date=date.fromisoformat(open_("birth_date", citizen.birth_date_ct)),
            verification=citizen.verification,
        )

    def delete(self, citizen_id: str) -> None:
        """Destroy the data key first: even a row that survives somewhere is unreadable."""
        self._vault.destroy(data_key_owner(citizen_id))
        self._session.execute(sa.delete(Citizen).where(Citizen.id == citizen_id))
