from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civicid.db import Base, UTCDateTime


class WrappedDataKey(Base):
    """One owner's data key, wrapped by a key-encryption key that never enters the database.

    Deleting the row crypto-shreds every field encrypted under it.
    """

    __tablename__ = "data_keys"

    owner: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kek_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
