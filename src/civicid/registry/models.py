from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base, UTCDateTime


class RegistryPerson(Base):
    """The demo population registry, kept in CivicID's database and encrypted like citizen data."""

    __tablename__ = "registry_persons"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    id_number_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    id_number_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    name_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    birth_date_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sex_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    photo_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
