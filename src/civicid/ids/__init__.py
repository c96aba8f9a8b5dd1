"""National ID number formats: GB 11643-1999 resident identity numbers (ISO 7064 MOD 11-2)."""

from civicid.ids.checksum import check_character
from civicid.ids.errors import (
    IdNumberBirthDate,
    IdNumberChecksum,
    IdNumberCharset,
    IdNumberError,
    IdNumberLength,
    IdNumberRegion,
)
from civicid.ids.gb11643 import IdNumber, Sex, normalise, parse_id_number
from civicid.ids.generator import generate_id_number

__all__ = [
    "IdNumber",
    "IdNumberBirthDate",
    "IdNumberCharset",
    "IdNumberChecksum",
    "IdNumberError",
    "IdNumberLength",
    "IdNumberRegion",
    "Sex",
    "check_character",
    "generate_id_number",
    "normalise",
    "parse_id_number",
]
