"""Typed errors of ID-number validation. Codes are part of the API and never change meaning.

No error carries the submitted number itself, only where or why it failed, so that errors can be
logged and returned without leaking personal data.
"""

from __future__ import annotations

from civicid.errors import CivicIDError


class IdNumberError(CivicIDError):
    code = "id_number.invalid"
    status = 422
    default_message = "The ID number is not valid."


class IdNumberCharset(IdNumberError):
    code = "id_number.charset"
    default_message = "An ID number contains only digits, and an X only as its last (18th) character."


class IdNumberLength(IdNumberError):
    code = "id_number.length"
    default_message = "An ID number has 18 characters (or 15 for numbers issued before 1999)."


class IdNumberRegion(IdNumberError):
    code = "id_number.region"
    default_message = "The ID number does not start with a known region code."


class IdNumberBirthDate(IdNumberError):
    code = "id_number.birth_date"
    default_message = "The ID number does not contain a valid birth date."


class IdNumberChecksum(IdNumberError):
    code = "id_number.checksum"
    default_message = "The ID number's check digit does not match; please check it for typing errors."
