"""The synthetic population: citizen ``i`` always has the same ID number, name and birth date.

Only what a lookup needs to find again is deterministic (the ID number, from ``i`` alone; the
name, from ``seed`` and ``i``; the sex, from the number's sequence). Everything the service draws itself — citizen id, network
id, data keys, nonces — comes from the service's own randomness, as in production.

ID numbers are GB 11643-1999 numbers built from ``i`` so that they never collide: the sequence
number cycles fastest (001-999, its parity giving the sex, as the standard says), then the region
(the sample of real county codes), then the birth date, one day at a time from 1930-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from civicid.ids.checksum import check_character
from civicid.ids.regions import SAMPLE_COUNTIES
from civicid.registry.interfaces import RegistryRecord
from civicid.registry.names import generate_name

_REGIONS = tuple(sorted(SAMPLE_COUNTIES))
_FIRST_BIRTH_DATE = date(1930, 1, 1)
_SEQUENCES = 999
CAPACITY = _SEQUENCES * len(_REGIONS) * 30_000  # birth dates up to 2012, about 630 million numbers


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    id_number: str
    name: str
    birth_date: date
    sex: str

    def record(self, photo: bytes = b"") -> RegistryRecord:
        return RegistryRecord(id_number=self.id_number, name=self.name, birth_date=self.birth_date,
                              sex=self.sex, photo=photo)


def person(index: int, *, seed: int) -> Person:
    if not 0 <= index < CAPACITY:
        raise ValueError(f"citizen index {index} is outside 0..{CAPACITY - 1}")
    sequence = 1 + index % _SEQUENCES
    rest = index // _SEQUENCES
    region = _REGIONS[rest % len(_REGIONS)]
    birth_date = _FIRST_BIRTH_DATE + timedelta(days=rest // len(_REGIONS))
    body = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return Person(index, body + check_character(body), generate_name(_SplitMix(seed, index)), birth_date,
                  "M" if sequence % 2 else "F")


_MASK = (1 << 64) - 1


class _SplitMix:
    """The part of ``random.Random`` that ``generate_name`` uses, seeded by (seed, index) at no
    cost (seeding a Mersenne Twister per citizen took 50 us): SplitMix64 (Steele et al. 2014)."""

    __slots__ = ("_state",)

    def __init__(self, seed: int, index: int) -> None:
        self._state = (seed * 0x9E3779B97F4A7C15 + index * 0xD1B54A32D192ED03) & _MASK

    def _next(self) -> int:
        self._state = z = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        return (self._next() >> 11) / 9007199254740992.0

    def choice(self, seq):
        return seq[self._next() % len(seq)]

    def sample(self, population, k: int) -> list:
        pool = list(population)
        return [pool.pop(self._next() % len(pool)) for _ in range(k)]
