"""The population registry CivicID checks claimed identities against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

Status = Literal["active", "deceased", "revoked"]


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    id_number: str
    name: str
    birth_date: date
    sex: Literal["M", "F"]
    photo: bytes = field(repr=False)
    status: Status = "active"
    ref: str = ""  # the registry's own opaque reference for this person

    def __repr__(self) -> str:  # never print personal data
        return f"RegistryRecord(ref={self.ref!r}, status={self.status!r})"


class PopulationRegistry(Protocol):
    def lookup(self, id_number: str) -> RegistryRecord | None:
        """The record for a normalised, valid ID number, or None if the registry has none.

        Raises RegistryUnavailable when the registry cannot answer: never a wrong answer."""
        ...
