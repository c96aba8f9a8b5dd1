from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base, UTCDateTime


class Citizen(Base):
    """An enrolled person. Personal fields are ciphertexts under the citizen's data key; the ID
    number is found through its blind index only."""

    __tablename__ = "citizens"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    network_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    id_number_index: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    id_number_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    name_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    birth_date_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    template_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    verification: Mapped[str] = mapped_column(sa.String(64))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
